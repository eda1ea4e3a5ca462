// kubecheck decodes Kubernetes manifests (the output of `helm template`) strictly into the
// typed API objects of k8s.io/api, as the API server does: an unknown or misspelt field, a wrong type or a bad
// resource quantity is an error. It is a structural check without a cluster, not the API
// server's full validation.
//
//	helm template provgraph helm/provgraph | kubecheck
//
// Prints one line per object (kind/name) and exits 1 on the first problem.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

func newObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/Secret":
		return &corev1.Secret{}, true
	case "v1/ServiceAccount":
		return &corev1.ServiceAccount{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "apps/v1/StatefulSet":
		return &appsv1.StatefulSet{}, true
	case "batch/v1/CronJob":
		return &batchv1.CronJob{}, true
	case "batch/v1/Job":
		return &batchv1.Job{}, true
	case "networking.k8s.io/v1/Ingress":
		return &networkingv1.Ingress{}, true
	}
	return nil, false
}

// documents splits a YAML stream on its `---` separator lines.
func documents(stream []byte) [][]byte {
	var docs [][]byte
	var current bytes.Buffer
	scanner := bufio.NewScanner(bytes.NewReader(stream))
	scanner.Buffer(make([]byte, 1<<20), 1<<26)
	flush := func() {
		if len(bytes.TrimSpace(current.Bytes())) > 0 {
			docs = append(docs, append([]byte(nil), current.Bytes()...))
		}
		current.Reset()
	}
	for scanner.Scan() {
		line := scanner.Text()
		if strings.TrimRight(line, " ") == "---" {
			flush()
			continue
		}
		current.WriteString(line)
		current.WriteByte('\n')
	}
	flush()
	return docs
}

func check(doc []byte) (string, error) {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return "", fmt.Errorf("not YAML: %w", err)
	}
	if head.APIVersion == "" && head.Kind == "" {
		return "", nil // only comments
	}
	id := head.Kind + "/" + head.Metadata.Name
	if head.Metadata.Name == "" {
		return id, fmt.Errorf("%s: metadata.name is empty", id)
	}
	object, known := newObject(head.APIVersion, head.Kind)
	if !known {
		return id, fmt.Errorf("%s: %s %s is not a kind this check knows", id, head.APIVersion, head.Kind)
	}
	// As the API server decodes: case-sensitive field names, no unknown or duplicate field.
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return id, fmt.Errorf("%s: %w", id, err)
	}
	strict, err := kjson.UnmarshalStrict(data, object, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return id, fmt.Errorf("%s: %w", id, err)
	}
	if len(strict) > 0 {
		return id, fmt.Errorf("%s: %v", id, strict)
	}
	return id, nil
}

func main() {
	stream, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kubecheck:", err)
		os.Exit(2)
	}
	count := 0
	for _, doc := range documents(stream) {
		id, err := check(doc)
		if err != nil {
			fmt.Fprintln(os.Stderr, "kubecheck:", err)
			os.Exit(1)
		}
		if id != "" {
			fmt.Println(id)
			count++
		}
	}
	if count == 0 {
		fmt.Fprintln(os.Stderr, "kubecheck: no objects on stdin")
		os.Exit(1)
	}
}
