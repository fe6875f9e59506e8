package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/kubeflow/spark-operator/v2/api/v1beta2"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// SparkApplicationKind is the kind of the spark-operator's custom resource.
const SparkApplicationKind = "SparkApplication"

// Values accepted by the kubebuilder enum markers on the v1beta2 types (and therefore by the
// CRD the chart installs). Mode deliberately leaves out DeployModeInClusterClient: the Go type
// defines it, but the CRD's enum is {cluster,client}, so the API server rejects it.
var (
	allowedTypes = []v1beta2.SparkApplicationType{
		v1beta2.SparkApplicationTypeJava,
		v1beta2.SparkApplicationTypePython,
		v1beta2.SparkApplicationTypeScala,
		v1beta2.SparkApplicationTypeR,
	}
	allowedModes           = []v1beta2.DeployMode{v1beta2.DeployModeCluster, v1beta2.DeployModeClient}
	allowedPythonVersions  = []string{"2", "3"}
	allowedRestartPolicies = []v1beta2.RestartPolicyType{
		v1beta2.RestartPolicyNever,
		v1beta2.RestartPolicyAlways,
		v1beta2.RestartPolicyOnFailure,
	}
)

// ValidationError lists every problem found in one document.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string { return strings.Join(e.Problems, "; ") }

// DocumentResult is the outcome for one (non-empty) document of a YAML stream.
type DocumentResult struct {
	// Index is the 1-based position of the document in its stream (counting every document).
	Index int
	// APIVersion, Kind and Name are the document's apiVersion, kind and metadata.name, each ""
	// when absent (or, for Name, not readable).
	APIVersion, Kind, Name string
	// Err is nil when the document is a valid object of a type this tool covers.
	Err error
}

// ValidateStream splits a (possibly multi-document) YAML stream and validates every document
// with ValidateObject. Empty documents (only comments, or "null") are skipped; every other
// document yields a result, so one that is not a Kubernetes object, or whose type this tool
// does not cover, fails. The returned error is set only when the stream itself cannot be read
// or split into documents.
func ValidateStream(r io.Reader) ([]DocumentResult, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var results []DocumentResult
	for index := 1; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return results, nil
		}
		if err != nil {
			return results, fmt.Errorf("document %d: %w", index, err)
		}
		result := DocumentResult{Index: index}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			result.Err = &ValidationError{Problems: []string{"invalid YAML: " + oneLine(err.Error())}}
			results = append(results, result)
			continue
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
			continue // empty document
		}
		h, err := objectHead(js)
		if err != nil {
			result.Err = &ValidationError{Problems: []string{err.Error()}}
		} else {
			result.APIVersion, result.Kind, result.Name = h.APIVersion, h.Kind, h.Name
			result.Err = validateTyped(h.TypeKey, doc)
		}
		results = append(results, result)
	}
}

// ValidateSparkApplication checks a single YAML (or JSON) document against the spark-operator
// v1beta2 SparkApplication API. It returns nil or a *ValidationError naming every problem:
//   - duplicate keys anywhere in the document;
//   - unknown fields anywhere in the tree, by their full path (e.g. spec.volumes[0].hostPath.pth),
//     found by strict, case-sensitive decoding into v1beta2.SparkApplication (the same decoder,
//     sigs.k8s.io/json, that the API server uses for fieldValidation=Strict);
//   - values of the wrong JSON type (a string where an integer belongs, a bad quantity, ...);
//   - apiVersion sparkoperator.k8s.io/v1beta2 and kind SparkApplication;
//   - metadata.name, spec.type, spec.sparkVersion, spec.mainApplicationFile, spec.driver and
//     spec.executor present (null counts as absent; the strings must be non-empty);
//   - the CRD's enums on spec.type, spec.mode, spec.pythonVersion, spec.restartPolicy.type and its
//     minimums on driver/executor cores and executor instances.
func ValidateSparkApplication(doc []byte) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	js, err := yaml.YAMLToJSONStrict(doc) // rejects duplicate keys
	if err != nil {
		// Keep the message on one line; YAML line numbers count from the document's start.
		msg := strings.Join(strings.Fields(err.Error()), " ")
		return &ValidationError{Problems: []string{"invalid YAML (line numbers within the document): " + msg}}
	}

	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	_ = json.Unmarshal(js, &head) // best effort; the strict decode below reports type errors
	if want := v1beta2.GroupVersion.String(); head.APIVersion != want {
		add("apiVersion is %q, want %q", head.APIVersion, want)
	}
	if head.Kind != SparkApplicationKind {
		add("kind is %q, want %q", head.Kind, SparkApplicationKind)
	}

	var app v1beta2.SparkApplication
	strictErrs, err := sigsjson.UnmarshalStrict(js, &app) // unknown + duplicate fields, case-sensitive
	if err != nil {
		// A type error aborts decoding, so stop here: the checks below would only repeat it
		// as "missing" fields.
		add("%s", strings.TrimPrefix(err.Error(), "json: "))
		return &ValidationError{Problems: problems}
	}
	for _, e := range strictErrs {
		add("%s", strings.TrimPrefix(e.Error(), "json: "))
	}
	if app.Name == "" {
		add("metadata.name is required") // kubectl apply cannot use generateName
	}

	// Presence of required fields is judged on the raw tree: driver and executor are structs in
	// the Go type, so their absence cannot be seen after decoding.
	var raw struct {
		Spec map[string]json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(js, &raw); err != nil {
		add("spec must be an object: %v", err)
	}
	present := func(field string) bool {
		v, ok := raw.Spec[field]
		return ok && string(bytes.TrimSpace(v)) != "null"
	}
	if raw.Spec == nil {
		add("spec is required")
	} else {
		for _, field := range []string{"type", "sparkVersion", "mainApplicationFile", "driver", "executor"} {
			if !present(field) {
				add("spec.%s is required", field)
			}
		}
	}
	spec := app.Spec
	if present("type") && !slices.Contains(allowedTypes, spec.Type) {
		add("spec.type %q is not one of %v", spec.Type, allowedTypes)
	}
	if present("sparkVersion") && spec.SparkVersion == "" {
		add("spec.sparkVersion must not be empty")
	}
	if present("mainApplicationFile") && (spec.MainApplicationFile == nil || *spec.MainApplicationFile == "") {
		add("spec.mainApplicationFile must not be empty")
	}
	if spec.Mode != "" && !slices.Contains(allowedModes, spec.Mode) {
		add("spec.mode %q is not one of %v", spec.Mode, allowedModes)
	}
	if spec.PythonVersion != nil && !slices.Contains(allowedPythonVersions, *spec.PythonVersion) {
		add("spec.pythonVersion %q is not one of %q", *spec.PythonVersion, allowedPythonVersions)
	}
	if t := spec.RestartPolicy.Type; t != "" && !slices.Contains(allowedRestartPolicies, t) {
		add("spec.restartPolicy.type %q is not one of %v", t, allowedRestartPolicies)
	}
	atLeast := func(path string, v *int32, min int32) {
		if v != nil && *v < min {
			add("%s is %d, must be at least %d", path, *v, min)
		}
	}
	atLeast("spec.driver.cores", spec.Driver.Cores, 1)
	atLeast("spec.executor.cores", spec.Executor.Cores, 1)
	atLeast("spec.executor.instances", spec.Executor.Instances, 1)

	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}
