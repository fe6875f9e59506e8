package main

import (
	"strings"
	"testing"
)

// deployment is shaped like the JupyterLab Deployment the platform renders.
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: jupyter
  namespace: spark-jobs
  labels:
    app.kubernetes.io/name: jupyter
    app.kubernetes.io/part-of: spark-platform
spec:
  replicas: 1
  strategy:
    type: Recreate
  selector:
    matchLabels:
      app.kubernetes.io/name: jupyter
  template:
    metadata:
      labels:
        app.kubernetes.io/name: jupyter
        app.kubernetes.io/component: notebook
    spec:
      serviceAccountName: jupyter
      securityContext:
        runAsNonRoot: true
        runAsUser: 185
        fsGroup: 185
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: jupyterlab
          image: apache/spark:4.0.4-scala2.13-java17-python3-ubuntu
          imagePullPolicy: IfNotPresent
          command: [bash, /opt/platform/files/jupyter-start.sh]
          env:
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: JUPYTER_TOKEN
              valueFrom:
                secretKeyRef:
                  name: jupyter-token
                  key: token
            - name: WORKSPACE
              value: /home/spark
          ports:
            - name: http
              containerPort: 8888
            - name: spark-driver
              containerPort: 29413
          startupProbe:
            httpGet:
              path: /api/status
              port: http
            periodSeconds: 10
            failureThreshold: 60
          readinessProbe:
            tcpSocket:
              port: http
          resources:
            requests:
              cpu: 500m
              memory: 2Gi
            limits:
              cpu: "2"
              memory: 4Gi
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
          volumeMounts:
            - name: workspace
              mountPath: /home/spark
            - name: files
              mountPath: /opt/platform/files
              readOnly: true
            - name: jars
              mountPath: /opt/spark-s3a/jars
              readOnly: true
      volumes:
        - name: workspace
          persistentVolumeClaim:
            claimName: jupyter-notebooks
        - name: files
          configMap:
            name: jupyter-files
        - name: jars
          hostPath:
            path: /opt/spark-s3a/jars
            type: Directory
`

const nodePortService = `apiVersion: v1
kind: Service
metadata:
  name: jupyter
  namespace: spark-jobs
spec:
  type: NodePort
  selector:
    app.kubernetes.io/name: jupyter
  ports:
    - name: http
      port: 8888
      targetPort: http
      nodePort: 30088
`

const headlessService = `apiVersion: v1
kind: Service
metadata:
  name: jupyter-driver
  namespace: spark-jobs
spec:
  clusterIP: None
  selector:
    app.kubernetes.io/name: jupyter
  ports:
    - name: spark-driver
      port: 29413
      targetPort: spark-driver
    - name: spark-ui
      port: 4040
      targetPort: 4040
`

const role = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: jupyter-spark-driver
  namespace: spark-jobs
rules:
  - apiGroups: [""]
    resources: [pods, services, configmaps, persistentvolumeclaims]
    verbs: [create, get, list, watch, update, patch, delete, deletecollection]
`

const roleBinding = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: jupyter-spark-driver
  namespace: spark-jobs
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: jupyter-spark-driver
subjects:
  - kind: ServiceAccount
    name: jupyter
    namespace: spark-jobs
`

const persistentVolume = `apiVersion: v1
kind: PersistentVolume
metadata:
  name: spark-jobs-jupyter-notebooks
spec:
  capacity:
    storage: 10Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: spark-platform-local
  local:
    path: /var/lib/spark-platform/jupyter
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - key: kubernetes.io/hostname
              operator: In
              values: [worker-1]
`

const persistentVolumeClaim = `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: jupyter-notebooks
  namespace: spark-jobs
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: spark-platform-local
  volumeName: spark-jobs-jupyter-notebooks
  resources:
    requests:
      storage: 10Gi
`

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: jupyter-spark-conf
  namespace: spark-jobs
data:
  spark-defaults.conf: |
    spark.master k8s://https://kubernetes.default.svc
`

const secret = `apiVersion: v1
kind: Secret
metadata:
  name: jupyter-token
  namespace: spark-jobs
type: Opaque
stringData:
  token: not-a-real-token
`

const namespace = `apiVersion: v1
kind: Namespace
metadata:
  name: spark-jobs
  labels:
    app.kubernetes.io/part-of: spark-platform
    pod-security.kubernetes.io/enforce: privileged
`

const serviceAccount = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: jupyter
  namespace: spark-jobs
`

const networkPolicy = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: spark-connect
  namespace: spark-jobs
spec:
  podSelector:
    matchLabels:
      app.kubernetes.io/name: spark-connect
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: {}
`

func TestNetworkPolicyRules(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown policy type": change(t, networkPolicy, "[Ingress]", "[Inbound]"),
		"peer with nothing":   change(t, networkPolicy, "- podSelector: {}", "- {}"),
		"bad selector label":  change(t, networkPolicy, "app.kubernetes.io/name: spark-connect", "\"bad key!\": x"),
		"port out of range":   change(t, networkPolicy, "    - from:", "    - ports: [{port: 70000}]\n      from:"),
		"unknown field":       change(t, networkPolicy, "  policyTypes:", "  podSelectr: {}\n  policyTypes:"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := ValidateObject([]byte(doc)); err == nil {
				t.Errorf("accepted:\n%s", doc)
			}
		})
	}
}

// change returns base with the first occurrence of old replaced by new, failing if old is absent.
func change(t *testing.T, base, old, new string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("test bug: %q not in the base document", old)
	}
	return strings.Replace(base, old, new, 1)
}

func TestValidObjects(t *testing.T) {
	for name, doc := range map[string]string{
		"Deployment":            deployment,
		"Service (NodePort)":    nodePortService,
		"Service (headless)":    headlessService,
		"Role":                  role,
		"RoleBinding":           roleBinding,
		"NetworkPolicy":         networkPolicy,
		"PersistentVolume":      persistentVolume,
		"PersistentVolumeClaim": persistentVolumeClaim,
		"ConfigMap":             configMap,
		"Secret":                secret,
		"Namespace":             namespace,
		"ServiceAccount":        serviceAccount,
		"SparkApplication":      piApp,
		"namespaced kind without namespace (filled from the request)":  strings.Replace(serviceAccount, "  namespace: spark-jobs\n", "", 1),
		"cluster-scoped kind with a namespace (cleared by the server)": strings.Replace(namespace, "  name: spark-jobs\n", "  name: spark-jobs\n  namespace: default\n", 1),
		"pod volume without a source (defaulted to emptyDir)":          strings.Replace(deployment, "        - name: jars\n          hostPath:\n            path: /opt/spark-s3a/jars\n            type: Directory\n", "        - name: jars\n", 1),
		"Deployment with matchExpressions":                             strings.Replace(deployment, "    matchLabels:\n      app.kubernetes.io/name: jupyter\n", "    matchExpressions:\n      - {key: app.kubernetes.io/name, operator: In, values: [jupyter, x]}\n", 1),
	} {
		t.Run(name, func(t *testing.T) {
			if err := ValidateObject([]byte(doc)); err != nil {
				t.Fatalf("want valid, got: %v", err)
			}
		})
	}
}

func TestInvalidObjects(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string // substrings the error must contain
	}{
		// Unknown fields, by path.
		{
			name: "unknown field in a container",
			doc:  change(t, deployment, "          imagePullPolicy: IfNotPresent\n", "          imagePullPolicyy: IfNotPresent\n"),
			want: []string{`unknown field "spec.template.spec.containers[0].imagePullPolicyy"`},
		},
		{
			name: "unknown field in a Service port",
			doc:  change(t, nodePortService, "      targetPort: http\n", "      targetPort: http\n      protocl: TCP\n"),
			want: []string{`unknown field "spec.ports[0].protocl"`},
		},
		{
			name: "Service port field names are case-sensitive",
			doc:  change(t, nodePortService, "      nodePort: 30088\n", "      nodeport: 30088\n"),
			want: []string{`unknown field "spec.ports[0].nodeport"`},
		},
		{
			name: "unknown field in a Role rule",
			doc:  change(t, role, "    verbs:", "    resourceNmes: [x]\n    verbs:"),
			want: []string{`unknown field "rules[0].resourceNmes"`},
		},
		{
			name: "unknown top-level field",
			doc:  change(t, roleBinding, "roleRef:\n", "roleRefs: {}\nroleRef:\n"),
			want: []string{`unknown field "roleRefs"`},
		},
		{
			name: "unknown field deep in a PV",
			doc:  change(t, persistentVolume, "              operator: In\n", "              operator: In\n              value: [x]\n"),
			want: []string{`unknown field "spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].value"`},
		},
		{
			name: "unknown field in the pod template's metadata",
			doc:  change(t, deployment, "    metadata:\n      labels:\n", "    metadata:\n      label: {}\n      labels:\n"),
			want: []string{`unknown field "spec.template.metadata.label"`},
		},
		{
			name: "wrong value type",
			doc:  change(t, deployment, "  replicas: 1\n", "  replicas: \"1\"\n"),
			want: []string{"spec.replicas", "int32"},
		},
		{
			name: "duplicate key",
			doc:  change(t, configMap, "data:\n", "data: {}\ndata:\n"),
			want: []string{`"data"`, "already set"},
		},

		// Type selection.
		{
			name: "unknown kind",
			doc:  change(t, deployment, "kind: Deployment\n", "kind: StatefulSet\n"),
			want: []string{`unsupported kind "StatefulSet" (apiVersion "apps/v1")`},
		},
		{
			name: "known kind, unsupported apiVersion",
			doc:  change(t, deployment, "apiVersion: apps/v1\n", "apiVersion: extensions/v1beta1\n"),
			want: []string{`unsupported apiVersion "extensions/v1beta1" for kind Deployment (supported: "apps/v1")`},
		},
		{
			name: "kind and apiVersion missing",
			doc:  "metadata:\n  name: x\n",
			want: []string{"apiVersion is required", "kind is required"},
		},
		{
			name: "not a mapping",
			doc:  "- apiVersion: v1\n  kind: ConfigMap\n",
			want: []string{"not a Kubernetes object"},
		},

		// Metadata.
		{
			name: "missing name",
			doc:  change(t, configMap, "  name: jupyter-spark-conf\n", ""),
			want: []string{"metadata.name: Required value"},
		},
		{
			name: "Service name must be a DNS-1035 label",
			doc:  change(t, nodePortService, "  name: jupyter\n", "  name: 1jupyter\n"),
			want: []string{`metadata.name: Invalid value: "1jupyter"`},
		},
		{
			name: "Namespace name must be a DNS-1123 label",
			doc:  change(t, namespace, "  name: spark-jobs\n", "  name: spark.jobs\n"),
			want: []string{`metadata.name: Invalid value: "spark.jobs"`},
		},
		{
			name: "invalid label value",
			doc:  change(t, namespace, "app.kubernetes.io/part-of: spark-platform", "app.kubernetes.io/part-of: spark platform"),
			want: []string{`metadata.labels: Invalid value: "spark platform"`},
		},
		{
			name: "invalid namespace",
			doc:  change(t, serviceAccount, "  namespace: spark-jobs\n", "  namespace: Spark-Jobs\n"),
			want: []string{`metadata.namespace: Invalid value: "Spark-Jobs"`},
		},

		// Deployment and pod template.
		{
			name: "selector does not match the template labels",
			doc:  change(t, deployment, "    matchLabels:\n      app.kubernetes.io/name: jupyter\n", "    matchLabels:\n      app.kubernetes.io/name: notebook\n"),
			want: []string{"spec.template.metadata.labels: Invalid value", "`selector` does not match template `labels`"},
		},
		{
			name: "missing selector",
			doc:  change(t, deployment, "  selector:\n    matchLabels:\n      app.kubernetes.io/name: jupyter\n", ""),
			want: []string{"spec.selector: Required value"},
		},
		{
			name: "empty selector",
			doc:  change(t, deployment, "  selector:\n    matchLabels:\n      app.kubernetes.io/name: jupyter\n", "  selector: {}\n"),
			want: []string{"empty selector is invalid for deployment"},
		},
		{
			name: "container without name or image",
			doc: strings.NewReplacer("        - name: jupyterlab\n          image: apache/spark:4.0.4-scala2.13-java17-python3-ubuntu\n          imagePullPolicy",
				"        - imagePullPolicy").Replace(deployment),
			want: []string{"spec.template.spec.containers[0].name: Required value", "spec.template.spec.containers[0].image: Required value"},
		},
		{
			name: "no containers",
			doc:  deployment[:strings.Index(deployment, "      containers:\n")] + "      containers: []\n",
			want: []string{"spec.template.spec.containers: Required value"},
		},
		{
			name: "volumeMount without mountPath",
			doc:  change(t, deployment, "              mountPath: /home/spark\n", ""),
			want: []string{"spec.template.spec.containers[0].volumeMounts[0].mountPath: Required value"},
		},
		{
			name: "volumeMount without name",
			doc:  change(t, deployment, "            - name: workspace\n              mountPath", "            - mountPath"),
			want: []string{"spec.template.spec.containers[0].volumeMounts[0].name: Required value"},
		},
		{
			name: "volumeMount of an undeclared volume",
			doc:  change(t, deployment, "            - name: files\n              mountPath", "            - name: filez\n              mountPath"),
			want: []string{`spec.template.spec.containers[0].volumeMounts[1].name: Not found: "filez"`},
		},
		{
			name: "duplicate mountPath",
			doc:  change(t, deployment, "mountPath: /opt/platform/files", "mountPath: /home/spark"),
			want: []string{`volumeMounts[1].mountPath: Invalid value: "/home/spark": must be unique`},
		},
		{
			name: "volume with two sources",
			doc:  change(t, deployment, "          configMap:\n            name: jupyter-files\n", "          configMap:\n            name: jupyter-files\n          emptyDir: {}\n"),
			want: []string{"spec.template.spec.volumes[1].configMap: Forbidden: may not specify more than 1 volume type"},
		},
		{
			name: "configMap volume without a name",
			doc:  change(t, deployment, "          configMap:\n            name: jupyter-files\n", "          configMap: {}\n"),
			want: []string{"spec.template.spec.volumes[1].configMap.name: Required value"},
		},
		{
			name: "container port out of range, bad port name",
			doc:  change(t, deployment, "            - name: spark-driver\n              containerPort: 29413\n", "            - name: Spark_Driver\n              containerPort: 70000\n"),
			want: []string{"ports[1].containerPort: Invalid value: 70000", `ports[1].name: Invalid value: "Spark_Driver"`},
		},
		{
			name: "env var with both value and valueFrom",
			doc:  change(t, deployment, "                  fieldPath: metadata.name\n", "                  fieldPath: metadata.name\n              value: x\n"),
			want: []string{"env[0].valueFrom: Invalid value", "may not be specified when `value` is not empty"},
		},
		{
			name: "secretKeyRef without key",
			doc:  change(t, deployment, "                  key: token\n", ""),
			want: []string{"env[1].valueFrom.secretKeyRef.key: Required value"},
		},
		{
			name: "probe without a handler",
			doc:  change(t, deployment, "            tcpSocket:\n              port: http\n", "            periodSeconds: 10\n"),
			want: []string{"spec.template.spec.containers[0].readinessProbe: Required value: must specify a handler type"},
		},
		{
			name: "request above limit",
			doc:  change(t, deployment, "              memory: 2Gi\n", "              memory: 8Gi\n"),
			want: []string{`resources.requests[memory]: Invalid value: "8Gi": must be less than or equal to memory limit of 4Gi`},
		},
		{
			name: "restartPolicy other than Always",
			doc:  change(t, deployment, "      serviceAccountName: jupyter\n", "      serviceAccountName: jupyter\n      restartPolicy: Never\n"),
			want: []string{`spec.template.spec.restartPolicy: Unsupported value: "Never"`},
		},
		{
			name: "Recreate strategy with rollingUpdate",
			doc:  change(t, deployment, "    type: Recreate\n", "    type: Recreate\n    rollingUpdate: {maxSurge: 1}\n"),
			want: []string{"spec.strategy.rollingUpdate: Forbidden"},
		},

		// Service.
		{
			name: "Service port without port",
			doc:  change(t, nodePortService, "      port: 8888\n", ""),
			want: []string{"spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive"},
		},
		{
			name: "unnamed port in a multi-port Service",
			doc:  change(t, headlessService, "    - name: spark-ui\n      port", "    - port"),
			want: []string{"spec.ports[1].name: Required value"},
		},
		{
			name: "nodePort on a ClusterIP Service",
			doc:  change(t, nodePortService, "  type: NodePort\n", ""),
			want: []string{"spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"},
		},
		{
			name: "Service without ports",
			doc:  nodePortService[:strings.Index(nodePortService, "  ports:\n")],
			want: []string{"spec.ports: Required value"},
		},
		{
			name: "bad Service type",
			doc:  change(t, nodePortService, "  type: NodePort\n", "  type: Nodeport\n"),
			want: []string{`spec.type: Unsupported value: "Nodeport"`},
		},
		{
			name: "bad targetPort name",
			doc:  change(t, nodePortService, "      targetPort: http\n", "      targetPort: HTTP\n"),
			want: []string{`spec.ports[0].targetPort: Invalid value: "HTTP"`},
		},

		// RBAC.
		{
			name: "Role rule without verbs",
			doc:  change(t, role, "    verbs: [create, get, list, watch, update, patch, delete, deletecollection]\n", ""),
			want: []string{"rules[0].verbs: Required value: verbs must contain at least one value"},
		},
		{
			name: "Role rule without apiGroups",
			doc:  change(t, role, `  - apiGroups: [""]`+"\n    resources", "  - resources"),
			want: []string{"rules[0].apiGroups: Required value"},
		},
		{
			name: "RoleBinding roleRef with the wrong apiGroup",
			doc:  change(t, roleBinding, "  apiGroup: rbac.authorization.k8s.io\n", "  apiGroup: rbac\n"),
			want: []string{`roleRef.apiGroup: Unsupported value: "rbac"`},
		},
		{
			name: "RoleBinding subject of an unknown kind",
			doc:  change(t, roleBinding, "  - kind: ServiceAccount\n", "  - kind: Serviceaccount\n"),
			want: []string{`subjects[0].kind: Unsupported value: "Serviceaccount"`},
		},

		// Storage and config.
		{
			name: "local PV without nodeAffinity",
			doc:  persistentVolume[:strings.Index(persistentVolume, "  nodeAffinity:\n")],
			want: []string{"spec.nodeAffinity: Required value: Local volume requires node affinity"},
		},
		{
			name: "PV without a source or capacity",
			doc: strings.NewReplacer("  capacity:\n    storage: 10Gi\n", "",
				"  local:\n    path: /var/lib/spark-platform/jupyter\n", "").Replace(persistentVolume),
			want: []string{"spec.capacity: Required value", "spec: Required value: must specify a volume type"},
		},
		{
			name: "PVC without a storage request or access modes",
			doc:  strings.NewReplacer("      storage: 10Gi\n", "      cpu: 1\n", "  accessModes: [ReadWriteOnce]\n", "").Replace(persistentVolumeClaim),
			want: []string{"spec.resources[storage]: Required value", "spec.accessModes: Required value"},
		},
		{
			name: "bad access mode",
			doc:  change(t, persistentVolumeClaim, "[ReadWriteOnce]", "[ReadWriteonce]"),
			want: []string{`spec.accessModes: Unsupported value: "ReadWriteonce"`},
		},
		{
			name: "bad ConfigMap key",
			doc:  change(t, configMap, "  spark-defaults.conf: |\n", "  spark defaults.conf: |\n"),
			want: []string{`data[spark defaults.conf]: Invalid value: "spark defaults.conf"`},
		},
		{
			name: "ConfigMap binaryData that is not base64",
			doc:  configMap + "binaryData:\n  ok.bin: aGk=\n  bad.bin: \"%%%\"\n",
			want: []string{"binaryData[bad.bin]: illegal base64 data"},
		},
		{
			name: "apiVersion that is not a string",
			doc:  change(t, configMap, "apiVersion: v1\n", "apiVersion: 1\n"),
			want: []string{"apiVersion must be a string, got 1"},
		},
		{
			name: "Secret data that is not base64",
			doc:  change(t, secret, "stringData:\n  token: not-a-real-token\n", "data:\n  token: not base64!\n"),
			want: []string{"data[token]: illegal base64 data"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateObject([]byte(tc.doc))
			if err == nil {
				t.Fatalf("want an error containing %q, got none", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// Every rendered kind must be covered: this list mirrors what bin/render.ts writes to k8s/.
func TestRenderedKindsAreCovered(t *testing.T) {
	for _, key := range []TypeKey{
		{"v1", "Namespace"}, {"v1", "ConfigMap"}, {"v1", "Secret"}, {"v1", "Service"},
		{"v1", "ServiceAccount"}, {"v1", "PersistentVolume"}, {"v1", "PersistentVolumeClaim"},
		{"apps/v1", "Deployment"}, {"apps/v1", "DaemonSet"}, {"batch/v1", "Job"}, {"rbac.authorization.k8s.io/v1", "Role"},
		{"rbac.authorization.k8s.io/v1", "RoleBinding"}, {"sparkoperator.k8s.io/v1beta2", "SparkApplication"},
		{"networking.k8s.io/v1", "NetworkPolicy"},
	} {
		if _, ok := validators[key]; !ok {
			t.Errorf("%s is not covered", key)
		}
	}
}
