// Command sparkapp-validate checks rendered SparkApplication manifests field by field against
// the Kubeflow spark-operator v1beta2 Go API types, rejecting unknown fields the way
// `kubectl apply --validate=strict` does.
//
//	go run . <dir-or-file>...
//
// Directories are walked recursively for *.yaml and *.yml; files named explicitly are read
// whatever their extension. Every document whose kind is SparkApplication is validated (files
// may hold several documents); other documents are ignored. For each file holding at least one
// SparkApplication it prints "ok <file>" or "FAIL <file>: <reason>". The exit status is 0 when
// every SparkApplication is valid, 1 when any is invalid, a file cannot be read or parsed, or
// no SparkApplication was found at all, and 2 on a usage error.
package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const progName = "sparkapp-validate"

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, "usage: %s <dir-or-file>...\n", progName)
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

	apps, bad := 0, 0
	for _, file := range files {
		results, err := validateFile(file)
		apps += len(results)
		var reasons []string
		for _, r := range results {
			if r.Err == nil {
				continue
			}
			bad++
			if len(results) > 1 {
				reasons = append(reasons, fmt.Sprintf("document %d (%s): %v", r.Index, r.Name, r.Err))
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

	if apps == 0 {
		fmt.Fprintf(stderr, "%s: no SparkApplication found in %d YAML file(s) under %s\n",
			progName, len(files), strings.Join(args, " "))
		return 1
	}
	fmt.Fprintf(stderr, "%s: %d SparkApplication(s) checked, %d invalid\n", progName, apps, bad)
	if failed {
		return 1
	}
	return 0
}

func validateFile(path string) ([]DocumentResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ValidateStream(f)
}
