package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// piApp is a realistic PySpark SparkApplication, shaped like the ones the platform renders.
const piApp = `apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: spark-pi
  namespace: spark-jobs
  labels:
    app.kubernetes.io/part-of: spark-platform
spec:
  type: Python
  pythonVersion: "3"
  mode: cluster
  image: apache/spark:4.0.4-scala2.13-java17-python3-ubuntu
  imagePullPolicy: IfNotPresent
  sparkVersion: 4.0.4
  mainApplicationFile: local:///opt/spark/examples/src/main/python/pi.py
  arguments:
    - "20"
  sparkConf:
    spark.eventLog.enabled: "true"
    spark.eventLog.dir: s3a://spark-logs/events
    spark.kubernetes.executor.deleteOnTermination: "true"
  volumes:
    - name: scratch
      emptyDir:
        sizeLimit: 1Gi
  driver:
    cores: 1
    memory: 1g
    serviceAccount: spark
    labels:
      version: 4.0.4
      app.kubernetes.io/component: driver
    volumeMounts:
      - name: scratch
        mountPath: /tmp/scratch
    env:
      - name: PYSPARK_PYTHON
        value: python3
  executor:
    instances: 2
    cores: 1
    memory: 1g
    labels:
      version: 4.0.4
  restartPolicy:
    type: Never
  timeToLiveSeconds: 3600
`

const minimalApp = `apiVersion: sparkoperator.k8s.io/v1beta2
kind: SparkApplication
metadata:
  name: minimal
spec:
  type: Scala
  sparkVersion: 4.0.4
  mainApplicationFile: local:///opt/spark/examples/jars/spark-examples.jar
  driver: {}
  executor: {}
`

// edit returns piApp with the first occurrence of old replaced by new, failing if old is absent.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(piApp, old) {
		t.Fatalf("test bug: %q not in piApp", old)
	}
	return strings.Replace(piApp, old, new, 1)
}

func TestValidApps(t *testing.T) {
	for name, doc := range map[string]string{"realistic": piApp, "minimal": minimalApp} {
		t.Run(name, func(t *testing.T) {
			if err := ValidateSparkApplication([]byte(doc)); err != nil {
				t.Fatalf("want valid, got: %v", err)
			}
		})
	}
}

func TestInvalidApps(t *testing.T) {
	cases := []struct {
		name string
		doc  string
		want []string // substrings the error must contain
	}{
		{
			name: "unknown field at top of spec",
			doc:  edit(t, "  sparkConf:\n", "  sparkConfig:\n    a: b\n  sparkConf:\n"),
			want: []string{`unknown field "spec.sparkConfig"`},
		},
		{
			name: "unknown field in driver",
			doc:  edit(t, "    serviceAccount: spark\n", "    serviceAcount: spark\n"),
			want: []string{`unknown field "spec.driver.serviceAcount"`},
		},
		{
			name: "unknown field in a volume's hostPath (corev1)",
			doc: edit(t, "      emptyDir:\n        sizeLimit: 1Gi\n",
				"      hostPath:\n        path: /data\n        readonly: true\n"),
			want: []string{`unknown field "spec.volumes[0].hostPath.readonly"`},
		},
		{
			name: "field names are case-sensitive (corev1 VolumeMount)",
			doc:  edit(t, "        mountPath: /tmp/scratch\n", "        mountpath: /tmp/scratch\n"),
			want: []string{`unknown field "spec.driver.volumeMounts[0].mountpath"`},
		},
		{
			name: "unknown field in metadata",
			doc:  edit(t, "  namespace: spark-jobs\n", "  namespace: spark-jobs\n  annotation: {}\n"),
			want: []string{`unknown field "metadata.annotation"`},
		},
		{
			name: "unknown field in driver env (corev1 EnvVar)",
			doc:  edit(t, "        value: python3\n", "        value: python3\n        valueForm: x\n"),
			want: []string{`unknown field "spec.driver.env[0].valueForm"`},
		},
		{
			name: "several unknown fields are all reported",
			doc: strings.NewReplacer("    serviceAccount: spark\n", "    serviceAcount: spark\n",
				"  timeToLiveSeconds: 3600\n", "  ttlSeconds: 3600\n").Replace(piApp),
			want: []string{`"spec.driver.serviceAcount"`, `"spec.ttlSeconds"`},
		},
		{
			name: "missing mainApplicationFile",
			doc:  edit(t, "  mainApplicationFile: local:///opt/spark/examples/src/main/python/pi.py\n", ""),
			want: []string{"spec.mainApplicationFile is required"},
		},
		{
			name: "missing driver and executor",
			doc:  strings.SplitN(minimalApp, "  driver: {}\n", 2)[0],
			want: []string{"spec.driver is required", "spec.executor is required"},
		},
		{
			name: "null sparkVersion counts as missing",
			doc:  edit(t, "  sparkVersion: 4.0.4\n", "  sparkVersion: null\n"),
			want: []string{"spec.sparkVersion is required"},
		},
		{
			name: "wrong apiVersion",
			doc:  edit(t, "sparkoperator.k8s.io/v1beta2", "sparkoperator.k8s.io/v1beta1"),
			want: []string{`apiVersion is "sparkoperator.k8s.io/v1beta1", want "sparkoperator.k8s.io/v1beta2"`},
		},
		{
			name: "bad type",
			doc:  edit(t, "  type: Python\n", "  type: PySpark\n"),
			want: []string{`spec.type "PySpark" is not one of`},
		},
		{
			name: "type is case-sensitive",
			doc:  edit(t, "  type: Python\n", "  type: python\n"),
			want: []string{`spec.type "python"`},
		},
		{
			name: "bad mode",
			doc:  edit(t, "  mode: cluster\n", "  mode: local\n"),
			want: []string{`spec.mode "local" is not one of [cluster client]`},
		},
		{
			name: "bad restartPolicy type",
			doc:  edit(t, "    type: Never\n", "    type: Sometimes\n"),
			want: []string{`spec.restartPolicy.type "Sometimes"`},
		},
		{
			name: "bad pythonVersion",
			doc:  edit(t, `  pythonVersion: "3"`, `  pythonVersion: "3.10"`),
			want: []string{`spec.pythonVersion "3.10"`},
		},
		{
			name: "zero executor instances",
			doc:  edit(t, "    instances: 2\n", "    instances: 0\n"),
			want: []string{"spec.executor.instances is 0, must be at least 1"},
		},
		{
			name: "wrong value type",
			doc:  edit(t, "    cores: 1\n    memory: 1g\n    serviceAccount", "    cores: \"1\"\n    memory: 1g\n    serviceAccount"),
			want: []string{"spec.driver.cores", "int32"},
		},
		{
			name: "non-string sparkConf value",
			doc:  edit(t, `spark.eventLog.enabled: "true"`, `spark.eventLog.enabled: true`),
			want: []string{"spec.sparkConf", "string"},
		},
		{
			name: "invalid quantity in corev1 type",
			doc:  edit(t, "sizeLimit: 1Gi", "sizeLimit: lots"),
			want: []string{"quantities must match"},
		},
		{
			name: "duplicate key",
			doc:  edit(t, "  mode: cluster\n", "  mode: cluster\n  mode: client\n"),
			want: []string{`"mode"`, "already set"},
		},
		{
			name: "missing name",
			doc:  edit(t, "  name: spark-pi\n", ""),
			want: []string{"metadata.name is required"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateSparkApplication([]byte(tc.doc))
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

func TestValidateStreamValidatesEveryDocument(t *testing.T) {
	stream := "# leading comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {anyKey: x}\n---\n" +
		piApp + "---\n" + edit(t, "  mode: cluster\n", "  mode: cluster\n  bogus: 1\n") +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm2}\ndatas: {}\n" +
		"---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: job}\n---\nnull\n---\n"
	results, err := ValidateStream(strings.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 5 {
		t.Fatalf("want 5 documents, got %d: %+v", len(results), results)
	}
	if r := results[0]; r.Err != nil || r.Index != 2 || r.Kind != "ConfigMap" || r.APIVersion != "v1" || r.Name != "cm" {
		t.Errorf("ConfigMap: %+v", r)
	}
	if r := results[1]; r.Err != nil || r.Name != "spark-pi" || r.Kind != SparkApplicationKind {
		t.Errorf("first app: %+v", r)
	}
	if r := results[2]; r.Err == nil || !strings.Contains(r.Err.Error(), `"spec.bogus"`) || r.Index != 4 {
		t.Errorf("second app: %+v", r)
	}
	if r := results[3]; r.Err == nil || !strings.Contains(r.Err.Error(), `unknown field "datas"`) {
		t.Errorf("bad ConfigMap: %+v", r)
	}
	if r := results[4]; r.Err == nil || !strings.Contains(r.Err.Error(), `unsupported kind "CronJob" (apiVersion "batch/v1")`) {
		t.Errorf("Job: %+v", r)
	}
}

func TestRun(t *testing.T) {
	write := func(dir, name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	exec := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	good := t.TempDir()
	cm := write(good, "configmap.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n")
	pi := write(good, "nested/spark-pi.yml", piApp)
	write(good, "notes.txt", "kind: Bogus\n")     // not *.yaml: ignored when walking
	write(good, "empty.yaml", "# nothing here\n") // no document: no line
	code, out, errOut := exec(good)
	if code != 0 || out != "ok "+cm+"\nok "+pi+"\n" ||
		!strings.Contains(errOut, "2 object(s) checked (1 ConfigMap, 1 SparkApplication), 0 invalid") {
		t.Errorf("good dir: code %d, stdout %q, stderr %q", code, out, errOut)
	}

	bad := t.TempDir()
	badFile := write(bad, "bad.yaml", edit(t, "  type: Python\n", "  type: Python\n  tpye: Python\n"))
	multi := write(bad, "multi.yaml", deployment+"---\n"+change(t, nodePortService, "      port: 8888\n", "      prt: 8888\n"))
	unknown := write(bad, "job.yaml", "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: j}\n")
	code, out, errOut = exec(good, bad)
	for _, want := range []string{
		"ok " + pi + "\n",
		"FAIL " + badFile + `: unknown field "spec.tpye"` + "\n",
		"FAIL " + multi + `: document 2 (Service jupyter): unknown field "spec.ports[0].prt"; spec.ports[0].port: Invalid value: 0`,
		"FAIL " + unknown + `: unsupported kind "CronJob" (apiVersion "batch/v1")`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("bad dir: stdout lacks %q", want)
		}
	}
	if code != 1 || strings.Count(out, "\n") != 5 || !strings.Contains(errOut, "6 object(s) checked") || !strings.Contains(errOut, ", 3 invalid") {
		t.Errorf("bad dir: code %d, stdout %q, stderr %q", code, out, errOut)
	}

	if code, out, errOut := exec("-require-kind", "SparkApplication,Deployment", good); code != 1 || out != "ok "+cm+"\nok "+pi+"\n" ||
		!strings.Contains(errOut, "no Deployment found") || strings.Contains(errOut, "no SparkApplication found") {
		t.Errorf("require-kind missing: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := exec("-require-kind=SparkApplication", "-require-kind", "ConfigMap", good); code != 0 {
		t.Errorf("require-kind present: code %d, stderr %q", code, errOut)
	}
	if code, out, errOut := exec(filepath.Join(good, "empty.yaml")); code != 1 || out != "" || !strings.Contains(errOut, "no Kubernetes object found") {
		t.Errorf("no objects: code %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := exec(filepath.Join(good, "missing")); code != 1 || !strings.Contains(errOut, "missing") {
		t.Errorf("missing path: code %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{{}, {"-h"}, {"--help"}, {"-bogus", good}, {"-require-kind", "", good}} {
		if code, _, errOut := exec(args...); code != 2 || !strings.Contains(errOut, "usage:") {
			t.Errorf("%q: code %d, want 2; stderr %q", args, code, errOut)
		}
	}
}
