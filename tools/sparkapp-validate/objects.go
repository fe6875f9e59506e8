package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/kubeflow/spark-operator/v2/api/v1beta2"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// TypeKey names an object type the way a manifest does.
type TypeKey struct {
	APIVersion string
	Kind       string
}

func (k TypeKey) String() string { return k.APIVersion + " " + k.Kind }

// validators maps every apiVersion+kind the platform renders to the function that validates one
// such document. A document of any other type fails: adding a kind to the render means adding
// it here, with whatever API-server checks matter for it.
var validators = map[TypeKey]func(doc []byte) error{
	{"v1", "Namespace"}:                                   builtin[corev1.Namespace](clusterScoped, apivalidation.NameIsDNSLabel, nil),
	{"v1", "ConfigMap"}:                                   builtin(namespaced, apivalidation.NameIsDNSSubdomain, validateConfigMap),
	{"v1", "Secret"}:                                      builtin(namespaced, apivalidation.NameIsDNSSubdomain, validateSecret),
	{"v1", "Service"}:                                     builtin(namespaced, apivalidation.NameIsDNS1035Label, validateService),
	{"v1", "ServiceAccount"}:                              builtin[corev1.ServiceAccount](namespaced, apivalidation.NameIsDNSSubdomain, nil),
	{"v1", "PersistentVolume"}:                            builtin(clusterScoped, apivalidation.NameIsDNSSubdomain, validatePersistentVolume),
	{"v1", "PersistentVolumeClaim"}:                       builtin(namespaced, apivalidation.NameIsDNSSubdomain, validatePersistentVolumeClaim),
	{"apps/v1", "Deployment"}:                             builtin(namespaced, apivalidation.NameIsDNSSubdomain, validateDeployment),
	{"apps/v1", "DaemonSet"}:                              builtin(namespaced, apivalidation.NameIsDNSSubdomain, validateDaemonSet),
	{"batch/v1", "Job"}:                                   builtin(namespaced, apivalidation.NameIsDNSSubdomain, validateJob),
	{"rbac.authorization.k8s.io/v1", "Role"}:              builtin(namespaced, path.ValidatePathSegmentName, validateRole),
	{"rbac.authorization.k8s.io/v1", "RoleBinding"}:       builtin(namespaced, path.ValidatePathSegmentName, validateRoleBinding),
	{"networking.k8s.io/v1", "NetworkPolicy"}:             builtin(namespaced, apivalidation.NameIsDNSSubdomain, validateNetworkPolicy),
	{v1beta2.GroupVersion.String(), SparkApplicationKind}: ValidateSparkApplication,
}

// SupportedTypes lists the keys of validators, sorted.
func SupportedTypes() []TypeKey {
	keys := make([]TypeKey, 0, len(validators))
	for k := range validators {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b TypeKey) int { return strings.Compare(a.Kind+" "+a.APIVersion, b.Kind+" "+b.APIVersion) })
	return keys
}

// ValidateObject validates one YAML (or JSON) document holding a Kubernetes object, choosing the
// Go type from its apiVersion and kind. A type this tool does not cover is an error naming it.
// The document must be a non-empty mapping (ValidateStream skips empty documents itself).
func ValidateObject(doc []byte) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return &ValidationError{Problems: []string{"invalid YAML: " + oneLine(err.Error())}}
	}
	head, err := objectHead(js)
	if err != nil {
		return &ValidationError{Problems: []string{err.Error()}}
	}
	return validateTyped(head.TypeKey, doc)
}

func validateTyped(key TypeKey, doc []byte) error {
	if key.APIVersion == "" || key.Kind == "" {
		var missing []string
		if key.APIVersion == "" {
			missing = append(missing, "apiVersion is required")
		}
		if key.Kind == "" {
			missing = append(missing, "kind is required")
		}
		return &ValidationError{Problems: missing}
	}
	if validate, ok := validators[key]; ok {
		return validate(doc)
	}
	var sameKind []string
	for k := range validators {
		if k.Kind == key.Kind {
			sameKind = append(sameKind, fmt.Sprintf("%q", k.APIVersion))
		}
	}
	if len(sameKind) > 0 {
		slices.Sort(sameKind)
		return &ValidationError{Problems: []string{fmt.Sprintf("unsupported apiVersion %q for kind %s (supported: %s)",
			key.APIVersion, key.Kind, strings.Join(sameKind, ", "))}}
	}
	var kinds []string
	for _, k := range SupportedTypes() {
		kinds = append(kinds, k.Kind)
	}
	return &ValidationError{Problems: []string{fmt.Sprintf(
		"unsupported kind %q (apiVersion %q): this validator covers only %s; add the type to validators in objects.go",
		key.Kind, key.APIVersion, strings.Join(kinds, ", "))}}
}

// head is what identifies a document before it is decoded into its type.
type head struct {
	TypeKey
	Name string
}

// objectHead reads apiVersion, kind and (best effort) metadata.name from a JSON object.
func objectHead(js []byte) (head, error) {
	var h head
	var top map[string]json.RawMessage
	if err := json.Unmarshal(js, &top); err != nil {
		return h, fmt.Errorf("not a Kubernetes object: the document is not a mapping")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"apiVersion", &h.APIVersion}, {"kind", &h.Kind}} {
		if raw, ok := top[f.name]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, f.dst); err != nil {
				return h, fmt.Errorf("%s must be a string, got %s", f.name, raw)
			}
		}
	}
	var meta struct {
		Name string `json:"name"`
	}
	if raw, ok := top["metadata"]; ok && json.Unmarshal(raw, &meta) == nil {
		h.Name = meta.Name
	}
	return h, nil
}

// badBase64Field names the first value of the base64-encoded []byte map field of obj (a
// Secret's data, a ConfigMap's binaryData) that js holds and that is not valid base64, or "".
func badBase64Field(js []byte, obj any) string {
	var name string
	switch obj.(type) {
	case *corev1.Secret:
		name = "data"
	case *corev1.ConfigMap:
		name = "binaryData"
	default:
		return ""
	}
	var top map[string]json.RawMessage
	var values map[string]any
	if json.Unmarshal(js, &top) != nil || json.Unmarshal(top[name], &values) != nil {
		return ""
	}
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if v, ok := values[key].(string); ok {
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				return fmt.Sprintf("%s[%s]", name, key)
			}
		}
	}
	return ""
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type scope bool

const (
	namespaced    scope = true
	clusterScoped scope = false
)

// builtin returns the validator for a built-in type T: strict decoding into T (duplicate and
// unknown fields are reported by their full path, case-sensitively, as for SparkApplication),
// the API server's object-metadata checks (name required and well-formed for the type,
// namespace, labels, annotations) and then check, when not nil, for the type's own rules.
func builtin[T any, P interface {
	*T
	metav1.Object
}](sc scope, nameRule apivalidation.ValidateNameFunc, check func(P) field.ErrorList) func([]byte) error {
	return func(doc []byte) error {
		js, err := yaml.YAMLToJSONStrict(doc) // rejects duplicate keys
		if err != nil {
			return &ValidationError{Problems: []string{"invalid YAML (line numbers within the document): " + oneLine(err.Error())}}
		}
		obj := P(new(T))
		var problems []string
		strictErrs, err := sigsjson.UnmarshalStrict(js, obj)
		if err != nil {
			// A type error aborts decoding; the checks below would only report its fallout.
			msg := strings.TrimPrefix(err.Error(), "json: ")
			var b64 base64.CorruptInputError
			if errors.As(err, &b64) {
				if where := badBase64Field(js, obj); where != "" {
					msg = where + ": " + msg // the decoder does not say where
				}
			}
			return &ValidationError{Problems: []string{msg}}
		}
		for _, e := range strictErrs {
			problems = append(problems, strings.TrimPrefix(e.Error(), "json: "))
		}

		// The API server fills an absent namespace from the request (kubectl: the context's
		// namespace) and clears it on cluster-scoped objects before validating metadata.
		requireNamespace := sc == namespaced && obj.GetNamespace() != ""
		if sc == clusterScoped {
			obj.SetNamespace("")
		}
		errs := apivalidation.ValidateObjectMetaAccessor(obj, requireNamespace, nameRule, field.NewPath("metadata"))
		if check != nil {
			errs = append(errs, check(obj)...)
		}
		for _, e := range errs {
			problems = append(problems, e.Error())
		}
		if len(problems) > 0 {
			return &ValidationError{Problems: problems}
		}
		return nil
	}
}

// The checks below replicate, for the fields the platform uses, the validation the API server
// runs on create (k8s.io/kubernetes pkg/apis/{core,apps,rbac}/validation), on the v1 objects
// as written, i.e. before server-side defaulting: a field the server defaults may be empty.
// Messages and paths follow the server's (field.Error) format.

const maxConfigSize = 1024 * 1024 // corev1.MaxSecretSize; ConfigMaps have the same limit

func validateDataKeys(keys []string, p *field.Path, seen map[string]bool, errs field.ErrorList) field.ErrorList {
	slices.Sort(keys)
	for _, k := range keys {
		for _, msg := range validation.IsConfigMapKey(k) {
			errs = append(errs, field.Invalid(p.Key(k), k, msg))
		}
		if seen[k] {
			errs = append(errs, field.Invalid(p.Key(k), k, "duplicate of key present in another data field"))
		}
		seen[k] = true
	}
	return errs
}

func validateConfigMap(cm *corev1.ConfigMap) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	size := 0
	var keys []string
	for k, v := range cm.Data {
		keys = append(keys, k)
		size += len(v)
	}
	errs = validateDataKeys(keys, field.NewPath("data"), seen, errs)
	keys = nil
	for k, v := range cm.BinaryData {
		keys = append(keys, k)
		size += len(v)
	}
	errs = validateDataKeys(keys, field.NewPath("binaryData"), seen, errs)
	if size > maxConfigSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxConfigSize))
	}
	return errs
}

func validateSecret(s *corev1.Secret) field.ErrorList {
	var errs field.ErrorList
	// The server merges stringData into data (stringData wins) before validating.
	size := 0
	var keys []string
	for k, v := range s.Data {
		if _, overridden := s.StringData[k]; !overridden {
			keys = append(keys, k)
			size += len(v)
		}
	}
	errs = validateDataKeys(keys, field.NewPath("data"), map[string]bool{}, errs)
	keys = nil
	for k, v := range s.StringData {
		keys = append(keys, k)
		size += len(v)
	}
	errs = validateDataKeys(keys, field.NewPath("stringData"), map[string]bool{}, errs)
	if size > maxConfigSize {
		errs = append(errs, field.TooLong(field.NewPath("data"), "", maxConfigSize))
	}
	return errs
}

var serviceTypes = []corev1.ServiceType{corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort,
	corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeExternalName}

var protocols = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}

func validateService(svc *corev1.Service) field.ErrorList {
	var errs field.ErrorList
	spec := svc.Spec
	p := field.NewPath("spec")
	typ := spec.Type
	if typ == "" {
		typ = corev1.ServiceTypeClusterIP // the default
	}
	if !slices.Contains(serviceTypes, typ) {
		errs = append(errs, field.NotSupported(p.Child("type"), spec.Type, serviceTypes))
	}
	headless := spec.ClusterIP == corev1.ClusterIPNone
	if headless && (typ == corev1.ServiceTypeNodePort || typ == corev1.ServiceTypeLoadBalancer) {
		errs = append(errs, field.Invalid(p.Child("clusterIP"), spec.ClusterIP,
			fmt.Sprintf("may not be set to 'None' for %s services", typ)))
	}
	if typ == corev1.ServiceTypeExternalName {
		if spec.ExternalName == "" {
			errs = append(errs, field.Required(p.Child("externalName"), ""))
		}
	} else if len(spec.Ports) == 0 && !headless {
		errs = append(errs, field.Required(p.Child("ports"), ""))
	}

	names := map[string]bool{}
	type portKey struct {
		port     int32
		protocol corev1.Protocol
	}
	seen := map[portKey]bool{}
	for i, sp := range spec.Ports {
		pp := p.Child("ports").Index(i)
		switch {
		case sp.Name == "" && len(spec.Ports) > 1:
			errs = append(errs, field.Required(pp.Child("name"), ""))
		case sp.Name != "" && names[sp.Name]:
			errs = append(errs, field.Duplicate(pp.Child("name"), sp.Name))
		case sp.Name != "":
			errs = appendMsgs(errs, pp.Child("name"), sp.Name, validation.IsDNS1123Label(sp.Name))
		}
		names[sp.Name] = true
		errs = appendMsgs(errs, pp.Child("port"), sp.Port, validation.IsValidPortNum(int(sp.Port)))
		protocol := sp.Protocol
		if protocol == "" {
			protocol = corev1.ProtocolTCP
		}
		if !slices.Contains(protocols, protocol) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), sp.Protocol, protocols))
		}
		if key := (portKey{sp.Port, protocol}); seen[key] {
			errs = append(errs, field.Duplicate(pp, key))
		} else {
			seen[key] = true
		}
		errs = append(errs, validatePortRef(sp.TargetPort, pp.Child("targetPort"), true)...)
		if sp.NodePort != 0 {
			if typ != corev1.ServiceTypeNodePort && typ != corev1.ServiceTypeLoadBalancer {
				errs = append(errs, field.Forbidden(pp.Child("nodePort"), fmt.Sprintf("may not be used when `type` is '%s'", typ)))
			} else {
				errs = appendMsgs(errs, pp.Child("nodePort"), sp.NodePort, validation.IsValidPortNum(int(sp.NodePort)))
			}
		}
	}
	errs = append(errs, metav1validation.ValidateLabels(spec.Selector, p.Child("selector"))...)
	return errs
}

// validatePortRef checks a port given by number or by name (a Service's targetPort, a probe's
// port). A zero number is allowed where the server defaults it (targetPort defaults to port).
func validatePortRef(port intstr.IntOrString, p *field.Path, zeroOK bool) field.ErrorList {
	if port.Type == intstr.String {
		return appendMsgs(nil, p, port.StrVal, validation.IsValidPortName(port.StrVal))
	}
	if port.IntVal == 0 && zeroOK {
		return nil
	}
	return appendMsgs(nil, p, port.IntVal, validation.IsValidPortNum(int(port.IntVal)))
}

var accessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce, corev1.ReadOnlyMany,
	corev1.ReadWriteMany, corev1.ReadWriteOncePod}

func validateAccessModes(modes []corev1.PersistentVolumeAccessMode, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(modes) == 0 {
		return append(errs, field.Required(p, "at least 1 access mode is required"))
	}
	for _, m := range modes {
		if !slices.Contains(accessModes, m) {
			errs = append(errs, field.NotSupported(p, m, accessModes))
		}
	}
	if slices.Contains(modes, corev1.ReadWriteOncePod) && len(modes) > 1 {
		errs = append(errs, field.Forbidden(p, "may not use ReadWriteOncePod with other access modes"))
	}
	return errs
}

var reclaimPolicies = []corev1.PersistentVolumeReclaimPolicy{corev1.PersistentVolumeReclaimRetain,
	corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRecycle}

func validatePersistentVolume(pv *corev1.PersistentVolume) field.ErrorList {
	var errs field.ErrorList
	spec := pv.Spec
	p := field.NewPath("spec")
	errs = append(errs, validateAccessModes(spec.AccessModes, p.Child("accessModes"))...)
	if len(spec.Capacity) == 0 {
		errs = append(errs, field.Required(p.Child("capacity"), ""))
	}
	for _, name := range slices.Sorted(maps.Keys(spec.Capacity)) {
		q := spec.Capacity[name]
		if name != corev1.ResourceStorage {
			errs = append(errs, field.NotSupported(p.Child("capacity"), name, []corev1.ResourceName{corev1.ResourceStorage}))
		} else if q.Sign() <= 0 {
			errs = append(errs, field.Invalid(p.Child("capacity").Key(string(name)), q.String(), "must be greater than zero"))
		}
	}
	if r := spec.PersistentVolumeReclaimPolicy; r != "" && !slices.Contains(reclaimPolicies, r) {
		errs = append(errs, field.NotSupported(p.Child("persistentVolumeReclaimPolicy"), r, reclaimPolicies))
	}
	if spec.StorageClassName != "" {
		errs = appendMsgs(errs, p.Child("storageClassName"), spec.StorageClassName, validation.IsDNS1123Subdomain(spec.StorageClassName))
	}
	switch set := setPointerFields(&spec.PersistentVolumeSource); {
	case len(set) == 0:
		errs = append(errs, field.Required(p, "must specify a volume type"))
	case len(set) > 1:
		errs = append(errs, field.Forbidden(p.Child(set[1]), "may not specify more than 1 volume type"))
	}
	if spec.HostPath != nil && spec.HostPath.Path == "" {
		errs = append(errs, field.Required(p.Child("hostPath", "path"), ""))
	}
	if spec.Local != nil {
		if spec.Local.Path == "" {
			errs = append(errs, field.Required(p.Child("local", "path"), ""))
		}
		if spec.NodeAffinity == nil || spec.NodeAffinity.Required == nil {
			errs = append(errs, field.Required(p.Child("nodeAffinity"), "Local volume requires node affinity"))
		}
	}
	if na := spec.NodeAffinity; na != nil && na.Required != nil {
		errs = append(errs, validateNodeSelector(na.Required, p.Child("nodeAffinity", "required"))...)
	}
	return errs
}

var nodeSelectorOperators = []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn,
	corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt}

func validateNodeSelector(ns *corev1.NodeSelector, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if len(ns.NodeSelectorTerms) == 0 {
		return append(errs, field.Required(p.Child("nodeSelectorTerms"), "must have at least one node selector term"))
	}
	for i, term := range ns.NodeSelectorTerms {
		for j, req := range term.MatchExpressions {
			rp := p.Child("nodeSelectorTerms").Index(i).Child("matchExpressions").Index(j)
			errs = append(errs, metav1validation.ValidateLabelName(req.Key, rp.Child("key"))...)
			switch req.Operator {
			case corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn:
				if len(req.Values) == 0 {
					errs = append(errs, field.Required(rp.Child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
				}
			case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
				if len(req.Values) > 0 {
					errs = append(errs, field.Forbidden(rp.Child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"))
				}
			case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
				if len(req.Values) != 1 {
					errs = append(errs, field.Required(rp.Child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"))
				}
			default:
				errs = append(errs, field.NotSupported(rp.Child("operator"), req.Operator, nodeSelectorOperators))
			}
		}
	}
	return errs
}

func validatePersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) field.ErrorList {
	var errs field.ErrorList
	spec := pvc.Spec
	p := field.NewPath("spec")
	errs = append(errs, validateAccessModes(spec.AccessModes, p.Child("accessModes"))...)
	storage, ok := spec.Resources.Requests[corev1.ResourceStorage]
	switch {
	case !ok:
		errs = append(errs, field.Required(p.Child("resources").Key(string(corev1.ResourceStorage)), ""))
	case storage.Sign() <= 0:
		errs = append(errs, field.Invalid(p.Child("resources", "requests").Key(string(corev1.ResourceStorage)),
			storage.String(), "must be greater than zero"))
	}
	if spec.StorageClassName != nil && *spec.StorageClassName != "" {
		errs = appendMsgs(errs, p.Child("storageClassName"), *spec.StorageClassName, validation.IsDNS1123Subdomain(*spec.StorageClassName))
	}
	return errs
}

func validateDeployment(d *appsv1.Deployment) field.ErrorList {
	var errs field.ErrorList
	spec := d.Spec
	p := field.NewPath("spec")
	if spec.Replicas != nil && *spec.Replicas < 0 {
		errs = append(errs, field.Invalid(p.Child("replicas"), *spec.Replicas, "must be greater than or equal to 0"))
	}
	tp := p.Child("template")
	if spec.Selector == nil {
		errs = append(errs, field.Required(p.Child("selector"), ""))
	} else {
		errs = append(errs, metav1validation.ValidateLabelSelector(spec.Selector,
			metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
		if len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
			errs = append(errs, field.Invalid(p.Child("selector"), spec.Selector, "empty selector is invalid for deployment"))
		} else if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err != nil {
			errs = append(errs, field.Invalid(p.Child("selector"), spec.Selector, "invalid label selector"))
		} else if !selector.Matches(labels.Set(spec.Template.Labels)) {
			errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), spec.Template.Labels,
				"`selector` does not match template `labels`"))
		}
	}
	errs = append(errs, validatePodTemplate(&spec.Template, tp)...)
	if rp := spec.Template.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), rp, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	sp := p.Child("strategy")
	switch spec.Strategy.Type {
	case "", appsv1.RollingUpdateDeploymentStrategyType:
	case appsv1.RecreateDeploymentStrategyType:
		if spec.Strategy.RollingUpdate != nil {
			errs = append(errs, field.Forbidden(sp.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	default:
		errs = append(errs, field.NotSupported(sp.Child("type"), spec.Strategy.Type,
			[]appsv1.DeploymentStrategyType{appsv1.RecreateDeploymentStrategyType, appsv1.RollingUpdateDeploymentStrategyType}))
	}
	return errs
}

// validateSelectedTemplate: a selector that is valid, not empty, and matches the template's labels.
func validateSelectedTemplate(selector *metav1.LabelSelector, t *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	tp := p.Child("template")
	if selector == nil {
		return append(errs, field.Required(p.Child("selector"), ""))
	}
	errs = append(errs, metav1validation.ValidateLabelSelector(selector, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
	if len(selector.MatchLabels)+len(selector.MatchExpressions) == 0 {
		errs = append(errs, field.Invalid(p.Child("selector"), selector, "empty selector is invalid"))
	} else if s, err := metav1.LabelSelectorAsSelector(selector); err != nil {
		errs = append(errs, field.Invalid(p.Child("selector"), selector, "invalid label selector"))
	} else if !s.Matches(labels.Set(t.Labels)) {
		errs = append(errs, field.Invalid(tp.Child("metadata", "labels"), t.Labels, "`selector` does not match template `labels`"))
	}
	return errs
}

func validateDaemonSet(d *appsv1.DaemonSet) field.ErrorList {
	p := field.NewPath("spec")
	tp := p.Child("template")
	errs := validateSelectedTemplate(d.Spec.Selector, &d.Spec.Template, p)
	errs = append(errs, validatePodTemplate(&d.Spec.Template, tp)...)
	if rp := d.Spec.Template.Spec.RestartPolicy; rp != "" && rp != corev1.RestartPolicyAlways {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), rp, []corev1.RestartPolicy{corev1.RestartPolicyAlways}))
	}
	return errs
}

// validateJob: the API server's rules that a rendered Job can break (restart policy, bounds).
func validateJob(j *batchv1.Job) field.ErrorList {
	p := field.NewPath("spec")
	tp := p.Child("template")
	errs := validatePodTemplate(&j.Spec.Template, tp)
	rp := j.Spec.Template.Spec.RestartPolicy
	if rp != corev1.RestartPolicyNever && rp != corev1.RestartPolicyOnFailure {
		errs = append(errs, field.NotSupported(tp.Child("spec", "restartPolicy"), rp, []corev1.RestartPolicy{corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}))
	}
	if j.Spec.BackoffLimit != nil && *j.Spec.BackoffLimit < 0 {
		errs = append(errs, field.Invalid(p.Child("backoffLimit"), *j.Spec.BackoffLimit, "must be greater than or equal to 0"))
	}
	if j.Spec.ActiveDeadlineSeconds != nil && *j.Spec.ActiveDeadlineSeconds <= 0 {
		errs = append(errs, field.Invalid(p.Child("activeDeadlineSeconds"), *j.Spec.ActiveDeadlineSeconds, "must be greater than 0"))
	}
	return errs
}

func validatePodTemplate(t *corev1.PodTemplateSpec, p *field.Path) field.ErrorList {
	errs := metav1validation.ValidateLabels(t.Labels, p.Child("metadata", "labels"))
	errs = append(errs, apivalidation.ValidateAnnotations(t.Annotations, p.Child("metadata", "annotations"))...)
	return append(errs, validatePodSpec(&t.Spec, p.Child("spec"))...)
}

var restartPolicies = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}

func validatePodSpec(spec *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	volumes := map[string]bool{}
	for i := range spec.Volumes {
		v := &spec.Volumes[i]
		vp := p.Child("volumes").Index(i)
		switch {
		case v.Name == "":
			errs = append(errs, field.Required(vp.Child("name"), ""))
		case volumes[v.Name]:
			errs = append(errs, field.Duplicate(vp.Child("name"), v.Name))
		default:
			errs = appendMsgs(errs, vp.Child("name"), v.Name, validation.IsDNS1123Label(v.Name))
		}
		volumes[v.Name] = true
		errs = append(errs, validateVolumeSource(&v.VolumeSource, vp)...)
	}

	if len(spec.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	names := map[string]bool{}
	for i := range spec.InitContainers {
		errs = append(errs, validateContainer(&spec.InitContainers[i], p.Child("initContainers").Index(i), names, volumes)...)
	}
	for i := range spec.Containers {
		errs = append(errs, validateContainer(&spec.Containers[i], p.Child("containers").Index(i), names, volumes)...)
	}
	if rp := spec.RestartPolicy; rp != "" && !slices.Contains(restartPolicies, rp) {
		errs = append(errs, field.NotSupported(p.Child("restartPolicy"), rp, restartPolicies))
	}
	if sa := spec.ServiceAccountName; sa != "" {
		errs = appendMsgs(errs, p.Child("serviceAccountName"), sa, validation.IsDNS1123Subdomain(sa))
	}
	return errs
}

// validateVolumeSource checks a pod volume. No source at all is fine: the server defaults it to
// emptyDir. More than one is not.
func validateVolumeSource(src *corev1.VolumeSource, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if set := setPointerFields(src); len(set) > 1 {
		errs = append(errs, field.Forbidden(p.Child(set[1]), "may not specify more than 1 volume type"))
	}
	if src.ConfigMap != nil && src.ConfigMap.Name == "" {
		errs = append(errs, field.Required(p.Child("configMap", "name"), ""))
	}
	if src.Secret != nil && src.Secret.SecretName == "" {
		errs = append(errs, field.Required(p.Child("secret", "secretName"), ""))
	}
	if src.PersistentVolumeClaim != nil && src.PersistentVolumeClaim.ClaimName == "" {
		errs = append(errs, field.Required(p.Child("persistentVolumeClaim", "claimName"), ""))
	}
	if src.HostPath != nil && src.HostPath.Path == "" {
		errs = append(errs, field.Required(p.Child("hostPath", "path"), ""))
	}
	return errs
}

var pullPolicies = []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}

func validateContainer(c *corev1.Container, p *field.Path, names, volumes map[string]bool) field.ErrorList {
	var errs field.ErrorList
	switch {
	case c.Name == "":
		errs = append(errs, field.Required(p.Child("name"), ""))
	case names[c.Name]:
		errs = append(errs, field.Duplicate(p.Child("name"), c.Name))
	default:
		errs = appendMsgs(errs, p.Child("name"), c.Name, validation.IsDNS1123Label(c.Name))
	}
	names[c.Name] = true
	if c.Image == "" {
		errs = append(errs, field.Required(p.Child("image"), ""))
	}
	if pp := c.ImagePullPolicy; pp != "" && !slices.Contains(pullPolicies, pp) {
		errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), pp, pullPolicies))
	}

	portNames := map[string]bool{}
	for i, port := range c.Ports {
		pp := p.Child("ports").Index(i)
		if port.Name != "" {
			if portNames[port.Name] {
				errs = append(errs, field.Duplicate(pp.Child("name"), port.Name))
			} else {
				errs = appendMsgs(errs, pp.Child("name"), port.Name, validation.IsValidPortName(port.Name))
			}
			portNames[port.Name] = true
		}
		if port.ContainerPort == 0 {
			errs = append(errs, field.Required(pp.Child("containerPort"), ""))
		} else {
			errs = appendMsgs(errs, pp.Child("containerPort"), port.ContainerPort, validation.IsValidPortNum(int(port.ContainerPort)))
		}
		if port.HostPort != 0 {
			errs = appendMsgs(errs, pp.Child("hostPort"), port.HostPort, validation.IsValidPortNum(int(port.HostPort)))
		}
		if port.Protocol != "" && !slices.Contains(protocols, port.Protocol) {
			errs = append(errs, field.NotSupported(pp.Child("protocol"), port.Protocol, protocols))
		}
	}

	for i, env := range c.Env {
		ep := p.Child("env").Index(i)
		if env.Name == "" {
			errs = append(errs, field.Required(ep.Child("name"), ""))
		}
		if env.ValueFrom != nil {
			errs = append(errs, validateEnvVarSource(env.ValueFrom, env.Value, ep.Child("valueFrom"))...)
		}
	}

	mountPaths := map[string]bool{}
	for i, m := range c.VolumeMounts {
		mp := p.Child("volumeMounts").Index(i)
		if m.Name == "" {
			errs = append(errs, field.Required(mp.Child("name"), ""))
		} else if !volumes[m.Name] {
			errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			errs = append(errs, field.Required(mp.Child("mountPath"), ""))
		} else if mountPaths[m.MountPath] {
			errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be unique"))
		}
		mountPaths[m.MountPath] = true
	}

	for _, probe := range []struct {
		name  string
		probe *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}} {
		if probe.probe != nil {
			errs = append(errs, validateProbe(probe.probe, p.Child(probe.name))...)
		}
	}

	for _, name := range slices.Sorted(maps.Keys(c.Resources.Requests)) {
		req := c.Resources.Requests[name]
		if limit, ok := c.Resources.Limits[name]; ok && req.Cmp(limit) > 0 {
			errs = append(errs, field.Invalid(p.Child("resources", "requests").Key(string(name)), req.String(),
				fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
		}
	}
	return errs
}

func validateEnvVarSource(src *corev1.EnvVarSource, value string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch set := setPointerFields(src); {
	case len(set) == 0:
		errs = append(errs, field.Invalid(p, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"))
	case len(set) > 1:
		errs = append(errs, field.Invalid(p, "", "may not have more than one field specified at a time"))
	}
	if value != "" {
		errs = append(errs, field.Invalid(p, "", "may not be specified when `value` is not empty"))
	}
	if r := src.FieldRef; r != nil && r.FieldPath == "" {
		errs = append(errs, field.Required(p.Child("fieldRef", "fieldPath"), ""))
	}
	keyRef := func(name, key string, rp *field.Path) {
		if name == "" {
			errs = append(errs, field.Required(rp.Child("name"), ""))
		}
		if key == "" {
			errs = append(errs, field.Required(rp.Child("key"), ""))
		} else {
			errs = appendMsgs(errs, rp.Child("key"), key, validation.IsConfigMapKey(key))
		}
	}
	if r := src.SecretKeyRef; r != nil {
		keyRef(r.Name, r.Key, p.Child("secretKeyRef"))
	}
	if r := src.ConfigMapKeyRef; r != nil {
		keyRef(r.Name, r.Key, p.Child("configMapKeyRef"))
	}
	return errs
}

func validateProbe(probe *corev1.Probe, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	switch set := setPointerFields(&probe.ProbeHandler); {
	case len(set) == 0:
		errs = append(errs, field.Required(p, "must specify a handler type"))
	case len(set) > 1:
		errs = append(errs, field.Forbidden(p.Child(set[1]), "may not specify more than 1 handler type"))
	}
	if h := probe.HTTPGet; h != nil {
		errs = append(errs, validatePortRef(h.Port, p.Child("httpGet", "port"), false)...)
	}
	if t := probe.TCPSocket; t != nil {
		errs = append(errs, validatePortRef(t.Port, p.Child("tcpSocket", "port"), false)...)
	}
	return errs
}

func validateRole(r *rbacv1.Role) field.ErrorList {
	var errs field.ErrorList
	for i, rule := range r.Rules {
		rp := field.NewPath("rules").Index(i)
		if len(rule.Verbs) == 0 {
			errs = append(errs, field.Required(rp.Child("verbs"), "verbs must contain at least one value"))
		}
		if len(rule.NonResourceURLs) > 0 {
			errs = append(errs, field.Invalid(rp.Child("nonResourceURLs"), rule.NonResourceURLs,
				"namespaced rules cannot apply to non-resource URLs"))
			continue
		}
		if len(rule.APIGroups) == 0 {
			errs = append(errs, field.Required(rp.Child("apiGroups"), "resource rules must supply at least one api group"))
		}
		if len(rule.Resources) == 0 {
			errs = append(errs, field.Required(rp.Child("resources"), "resource rules must supply at least one resource"))
		}
	}
	return errs
}

func validateRoleBinding(rb *rbacv1.RoleBinding) field.ErrorList {
	var errs field.ErrorList
	rp := field.NewPath("roleRef")
	if rb.RoleRef.APIGroup != rbacv1.GroupName {
		errs = append(errs, field.NotSupported(rp.Child("apiGroup"), rb.RoleRef.APIGroup, []string{rbacv1.GroupName}))
	}
	if k := rb.RoleRef.Kind; k != "Role" && k != "ClusterRole" {
		errs = append(errs, field.NotSupported(rp.Child("kind"), k, []string{"Role", "ClusterRole"}))
	}
	if rb.RoleRef.Name == "" {
		errs = append(errs, field.Required(rp.Child("name"), ""))
	} else {
		errs = appendMsgs(errs, rp.Child("name"), rb.RoleRef.Name, path.IsValidPathSegmentName(rb.RoleRef.Name))
	}
	for i, s := range rb.Subjects {
		sp := field.NewPath("subjects").Index(i)
		if s.Name == "" {
			errs = append(errs, field.Required(sp.Child("name"), ""))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.Name != "" {
				errs = appendMsgs(errs, sp.Child("name"), s.Name, validation.IsDNS1123Subdomain(s.Name))
			}
			if s.APIGroup != "" {
				errs = append(errs, field.NotSupported(sp.Child("apiGroup"), s.APIGroup, []string{""}))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			// v1 defaults an empty apiGroup to rbac.authorization.k8s.io.
			if s.APIGroup != "" && s.APIGroup != rbacv1.GroupName {
				errs = append(errs, field.NotSupported(sp.Child("apiGroup"), s.APIGroup, []string{rbacv1.GroupName}))
			}
		default:
			errs = append(errs, field.NotSupported(sp.Child("kind"), s.Kind,
				[]string{rbacv1.ServiceAccountKind, rbacv1.UserKind, rbacv1.GroupKind}))
		}
	}
	return errs
}

// appendMsgs turns the messages of a k8s.io/apimachinery/pkg/util/validation check into
// field.Invalid errors.
func appendMsgs(errs field.ErrorList, p *field.Path, value any, msgs []string) field.ErrorList {
	for _, msg := range msgs {
		errs = append(errs, field.Invalid(p, value, msg))
	}
	return errs
}

// setPointerFields returns the JSON names of the non-nil pointer fields of *structPtr, in
// declaration order: which of a one-of struct's members (volume sources, probe handlers, env
// var sources) are set.
func setPointerFields(structPtr any) []string {
	v := reflect.ValueOf(structPtr).Elem()
	var set []string
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			set = append(set, name)
		}
	}
	return set
}

var policyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}

// validateNetworkPolicy: the API server's rules for what the platform renders: valid selectors
// (the pods it isolates, and the peers it admits), known policy types, and ports in range.
func validateNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	p := field.NewPath("spec")
	opts := metav1validation.LabelSelectorValidationOptions{}
	errs := metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, opts, p.Child("podSelector"))
	for i, t := range np.Spec.PolicyTypes {
		if !slices.Contains(policyTypes, t) {
			errs = append(errs, field.NotSupported(p.Child("policyTypes").Index(i), t, policyTypes))
		}
	}
	for i, rule := range np.Spec.Ingress {
		rp := p.Child("ingress").Index(i)
		for j, port := range rule.Ports {
			pp := rp.Child("ports").Index(j)
			if port.Protocol != nil && !slices.Contains(protocols, *port.Protocol) {
				errs = append(errs, field.NotSupported(pp.Child("protocol"), *port.Protocol, protocols))
			}
			if port.Port != nil && port.Port.Type == intstr.Int {
				for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
					errs = append(errs, field.Invalid(pp.Child("port"), port.Port.IntVal, msg))
				}
			}
		}
		for j, peer := range rule.From {
			fp := rp.Child("from").Index(j)
			set := 0
			if peer.PodSelector != nil {
				set++
				errs = append(errs, metav1validation.ValidateLabelSelector(peer.PodSelector, opts, fp.Child("podSelector"))...)
			}
			if peer.NamespaceSelector != nil {
				set++
				errs = append(errs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, opts, fp.Child("namespaceSelector"))...)
			}
			if peer.IPBlock != nil {
				if set > 0 {
					errs = append(errs, field.Forbidden(fp, "may not specify both ipBlock and another peer"))
				}
				set++
			}
			if set == 0 {
				errs = append(errs, field.Required(fp, "must specify a peer"))
			}
		}
	}
	return errs
}
