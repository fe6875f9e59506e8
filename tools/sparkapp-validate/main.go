// Command sparkapp-validate checks rendered Kubernetes manifests field by field against the Go
// API types: k8s.io/api core/v1, apps/v1 and rbac/v1 for the built-in kinds the platform
// renders, and the Kubeflow spark-operator v1beta2 types for SparkApplication. Unknown fields
// are rejected by their path the way `kubectl apply --validate=strict` does, and the cheap
// required-field and consistency checks the API server makes on create are replicated.
//
//	go run . [-require-kind KIND[,KIND...]] <dir-or-file>...
//
// Directories are walked recursively for *.yaml and *.yml; files named explicitly are read
// whatever their extension. Every non-empty document is validated (files may hold several);
// a document whose apiVersion+kind is not covered (see SupportedTypes) fails, naming it. For
// each file holding at least one document it prints "ok <file>" or "FAIL <file>: <reason>".
// -require-kind (repeatable) also fails the run when no document of that kind was found. The
// exit status is 0 when every document is valid, 1 when any is invalid, a file cannot be read,
// a required kind is missing or no document was found at all, and 2 on a usage error.
package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const progName = "sparkapp-validate"

// kindList is a flag.Value collecting kinds from repeated and comma-separated values.
type kindList []string

func (k *kindList) String() string { return strings.Join(*k, ",") }

func (k *kindList) Set(v string) error {
	for _, kind := range strings.Split(v, ",") {
		if kind = strings.TrimSpace(kind); kind == "" {
			return fmt.Errorf("empty kind in %q", v)
		}
		*k = append(*k, kind)
	}
	return nil
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet(progName, flag.ContinueOnError)
	flags.SetOutput(stderr)
	var required kindList
	flags.Var(&required, "require-kind", "fail unless at least one document of this `kind` is found (repeatable, or comma-separated)")
	flags.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s [-require-kind KIND[,KIND...]] <dir-or-file>...\n", progName)
		flags.PrintDefaults()
	}
	if err := flags.Parse(args); err != nil {
		return 2 // the flag package has printed the problem and the usage
	}
	args = flags.Args()
	if len(args) == 0 {
		flags.Usage()
		return 2
	}

	var files []string
	failed := false
	for _, arg := range args {
		info, err := os.Stat(arg)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", progName, err)
			failed = true
			continue
		}
		if !info.IsDir() {
			files = append(files, arg)
			continue
		}
		err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(path)); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", progName, err)
			failed = true
		}
	}

	objects, bad := 0, 0
	kinds := map[string]int{}
	for _, file := range files {
		results, err := validateFile(file)
		objects += len(results)
		var reasons []string
		for _, r := range results {
			kinds[r.Kind]++
			if r.Err == nil {
				continue
			}
			bad++
			if len(results) > 1 {
				reasons = append(reasons, fmt.Sprintf("document %d (%s): %v", r.Index, describe(r), r.Err))
			} else {
				reasons = append(reasons, r.Err.Error())
			}
		}
		if err != nil {
			reasons = append(reasons, err.Error())
		}
		switch {
		case len(reasons) > 0:
			failed = true
			fmt.Fprintf(stdout, "FAIL %s: %s\n", file, strings.Join(reasons, "; "))
		case len(results) > 0:
			fmt.Fprintf(stdout, "ok %s\n", file)
		}
	}

	if objects == 0 {
		fmt.Fprintf(stderr, "%s: no Kubernetes object found in %d YAML file(s) under %s\n",
			progName, len(files), strings.Join(args, " "))
		return 1
	}
	var counts []string
	for _, kind := range slices.Sorted(maps.Keys(kinds)) {
		label := kind
		if label == "" {
			label = "(no kind)"
		}
		counts = append(counts, fmt.Sprintf("%d %s", kinds[kind], label))
	}
	fmt.Fprintf(stderr, "%s: %d object(s) checked (%s), %d invalid\n", progName, objects, strings.Join(counts, ", "), bad)
	for _, kind := range required {
		if kinds[kind] == 0 {
			fmt.Fprintf(stderr, "%s: no %s found (required by -require-kind)\n", progName, kind)
			failed = true
		}
	}
	if failed {
		return 1
	}
	return 0
}

// describe names a document for a multi-document file's FAIL line: "Kind name", as far as known.
func describe(r DocumentResult) string {
	switch {
	case r.Kind == "" && r.Name == "":
		return "no kind"
	case r.Name == "":
		return r.Kind
	case r.Kind == "":
		return r.Name
	}
	return r.Kind + " " + r.Name
}

func validateFile(path string) ([]DocumentResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ValidateStream(f)
}
