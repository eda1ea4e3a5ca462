{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "provgraph.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Fully qualified app name: RELEASE-provgraph, or RELEASE when it already says provgraph. */}}
{{- define "provgraph.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "provgraph.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "provgraph.labels" -}}
helm.sh/chart: {{ include "provgraph.chart" . }}
{{ include "provgraph.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "provgraph.selectorLabels" -}}
app.kubernetes.io/name: {{ include "provgraph.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "provgraph.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "provgraph.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "provgraph.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- with .Values.image.digest }}@{{ . }}{{ end }}
{{- end }}

{{/* The chart's own Secret, holding whatever is not taken from an existing Secret. */}}
{{- define "provgraph.secretName" -}}
{{- printf "%s-credentials" (include "provgraph.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "true" when the Neo4j password comes from the chart's Secret. */}}
{{- define "provgraph.neo4j.ownSecret" -}}
{{- if and (not .Values.neo4j.existingSecret) .Values.neo4j.password }}true{{ end }}
{{- end }}

{{/* "true" when the S3 keys come from the chart's Secret. */}}
{{- define "provgraph.s3.ownSecret" -}}
{{- if and (not .Values.s3.existingSecret) (or .Values.s3.accessKeyId .Values.s3.secretAccessKey) }}
{{- if not (and .Values.s3.accessKeyId .Values.s3.secretAccessKey) }}
{{- fail "s3.accessKeyId and s3.secretAccessKey go together (or use s3.existingSecret)" }}
{{- end }}true
{{- end }}
{{- end }}

{{/* "true" when the auth tokens come from the chart's Secret. */}}
{{- define "provgraph.auth.ownSecret" -}}
{{- if and (not .Values.auth.existingSecret) .Values.auth.tokens }}true{{ end }}
{{- end }}

{{/*
PROVGRAPH_GRAPH_URL: neo4j.url with the user and, through Kubernetes' $(VAR) expansion,
the password from the NEO4J_PASSWORD variable defined just before it.
*/}}
{{- define "provgraph.graphUrl" -}}
{{- $u := urlParse .Values.neo4j.url }}
{{- if not (has $u.scheme (list "bolt" "bolt+s" "bolt+ssc" "neo4j" "neo4j+s" "neo4j+ssc")) }}
{{- fail (printf "neo4j.url=%q: expected bolt://HOST:7687 or neo4j://HOST:7687" .Values.neo4j.url) }}
{{- end }}
{{- if not $u.host }}
{{- fail (printf "neo4j.url=%q names no host" .Values.neo4j.url) }}
{{- end }}
{{- if $u.userinfo }}
{{- fail "neo4j.url must not carry credentials: set neo4j.user with neo4j.existingSecret or neo4j.password" }}
{{- end }}
{{- $auth := "" }}
{{- if or .Values.neo4j.existingSecret .Values.neo4j.password }}
{{- $auth = printf "%s:$(NEO4J_PASSWORD)@" (.Values.neo4j.user | urlquery) }}
{{- end }}
{{- printf "%s://%s%s%s" $u.scheme $auth $u.host $u.path }}{{ with $u.query }}?{{ . }}{{ end }}
{{- end }}

{{/* PROVGRAPH_BLOB_URL: s3://BUCKET/PREFIX[?create_bucket=true&…]. */}}
{{- define "provgraph.blobUrl" -}}
{{- $query := list }}
{{- if .Values.s3.createBucket }}{{ $query = append $query "create_bucket=true" }}{{ end }}
{{- with .Values.s3.partSizeMb }}{{ $query = append $query (printf "part_size_mb=%d" (int .)) }}{{ end }}
{{- with .Values.s3.concurrency }}{{ $query = append $query (printf "concurrency=%d" (int .)) }}{{ end }}
{{- $prefix := .Values.s3.prefix | trimAll "/" }}
{{- printf "s3://%s" .Values.s3.bucket }}{{ if $prefix }}/{{ $prefix }}{{ end }}{{ if $query }}?{{ join "&" $query }}{{ end }}
{{- end }}

{{/*
The environment of the service and the workers: exactly the variables provgraph reads
(provgraph/config.py, graph/neo4j.py, blobs/s3.py), secrets through secretKeyRef.
*/}}
{{- define "provgraph.env" -}}
{{- if or .Values.neo4j.existingSecret .Values.neo4j.password }}
- name: NEO4J_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.neo4j.existingSecret | default (include "provgraph.secretName" .) }}
      key: {{ ternary .Values.neo4j.existingSecretPasswordKey "neo4j-password" (not (empty .Values.neo4j.existingSecret)) }}
{{- end }}
- name: PROVGRAPH_GRAPH_URL
  value: {{ include "provgraph.graphUrl" . | quote }}
- name: PROVGRAPH_BLOB_URL
  value: {{ include "provgraph.blobUrl" . | quote }}
{{- with .Values.s3.endpoint }}
- name: AWS_ENDPOINT_URL
  value: {{ . | quote }}
{{- end }}
- name: AWS_DEFAULT_REGION
  value: {{ .Values.s3.region | quote }}
{{- if or .Values.s3.existingSecret (include "provgraph.s3.ownSecret" .) }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.existingSecret | default (include "provgraph.secretName" .) }}
      key: {{ ternary .Values.s3.existingSecretAccessKeyIdKey "aws-access-key-id" (not (empty .Values.s3.existingSecret)) }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.s3.existingSecret | default (include "provgraph.secretName" .) }}
      key: {{ ternary .Values.s3.existingSecretSecretAccessKeyKey "aws-secret-access-key" (not (empty .Values.s3.existingSecret)) }}
{{- end }}
{{- if or .Values.auth.existingSecret .Values.auth.tokens }}
- name: PROVGRAPH_AUTH_TOKENS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret | default (include "provgraph.secretName" .) }}
      key: {{ ternary .Values.auth.existingSecretKey "auth-tokens" (not (empty .Values.auth.existingSecret)) }}
{{- end }}
{{- if or .Values.webhooks.existingSecret .Values.webhooks.urls }}
- name: PROVGRAPH_WEBHOOKS
  valueFrom:
    secretKeyRef:
      name: {{ .Values.webhooks.existingSecret | default (include "provgraph.secretName" .) }}
      key: {{ ternary .Values.webhooks.existingSecretUrlsKey "webhooks" (not (empty .Values.webhooks.existingSecret)) }}
{{- end }}
{{- if or .Values.webhooks.existingSecret .Values.webhooks.signingSecret }}
- name: PROVGRAPH_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.webhooks.existingSecret | default (include "provgraph.secretName" .) }}
      key: {{ ternary .Values.webhooks.existingSecretSigningKey "webhook-secret" (not (empty .Values.webhooks.existingSecret)) }}
      {{- if .Values.webhooks.existingSecret }}
      optional: true
      {{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* "true" when the webhooks' URLs (or signing key) come from the chart's Secret. */}}
{{- define "provgraph.webhooks.ownSecret" -}}
{{- if and (not .Values.webhooks.existingSecret) (or .Values.webhooks.urls .Values.webhooks.signingSecret) }}true{{ end }}
{{- end }}

{{/* "true" when the webhook URL comes from the chart's Secret. */}}
{{- define "provgraph.webhook.ownSecret" -}}
{{- if and (not .Values.worker.webhook.existingSecret) .Values.worker.webhook.url }}true{{ end }}
{{- end }}

{{/* The workers' own settings (provgraph/config.py), after provgraph.env. */}}
{{- define "provgraph.workerEnv" -}}
{{- with .Values.worker.args.bandwidth }}
- name: PROVGRAPH_WORKER_BANDWIDTH
  value: {{ . | int64 | toString | quote }}
{{- end }}
{{- with .Values.worker.args.batchSize }}
- name: PROVGRAPH_WORKER_BATCH
  value: {{ . | int64 | toString | quote }}
{{- end }}
{{- if or .Values.worker.webhook.existingSecret .Values.worker.webhook.url }}
- name: PROVGRAPH_WEBHOOK_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.worker.webhook.existingSecret | default (include "provgraph.secretName" .) }}
      key: {{ ternary .Values.worker.webhook.existingSecretKey "webhook-url" (not (empty .Values.worker.webhook.existingSecret)) }}
{{- end }}
{{- end }}

{{/* `provgraph worker` flags shared by the CronJob and the Deployment. */}}
{{- define "provgraph.workerArgs" -}}
{{- if .Values.worker.args.quick }}
- --quick
{{- end }}
{{- range .Values.worker.args.extra }}
- {{ . | toString | quote }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every workload. */}}
{{- define "provgraph.podCommon" -}}
serviceAccountName: {{ include "provgraph.serviceAccountName" . }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
{{- end }}
