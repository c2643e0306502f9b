{{/*
Names, labels and the table of services every template ranges over.
*/}}

{{- define "butterboard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "butterboard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "butterboard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "butterboard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: butterboard-meetings
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selects the pods of one service: pass (dict "root" $ "service" $service). */}}
{{- define "butterboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "butterboard.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .service.name }}
{{- end -}}

{{- define "butterboard.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{- define "butterboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "butterboard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The services, keyed as in .Values.services: the target name, the variable of its database URL,
whether it takes webhooks, which secrets it needs, whether it may autoscale.
*/}}
{{- define "butterboard.serviceTable" -}}
scenario:
  name: scenario
  databaseEnv: SCENARIO_DATABASE_URL
meetingOrchestrator:
  name: meeting-orchestrator
  databaseEnv: MEETING_ORCHESTRATOR_DATABASE_URL
  zoomApi: true
zoomWebhookIngest:
  name: zoom-webhook-ingest
  databaseEnv: ZOOM_WEBHOOK_INGEST_DATABASE_URL
  webhook: true
recordingArchiver:
  name: recording-archiver
  databaseEnv: RECORDING_ARCHIVER_DATABASE_URL
  zoomApi: true
  drive: true
feedback:
  name: feedback
  databaseEnv: FEEDBACK_DATABASE_URL
{{- end -}}

{{/* The enabled services: a list of dicts with the table's fields plus `key` and `values`. */}}
{{- define "butterboard.enabledServices" -}}
{{- $table := include "butterboard.serviceTable" . | fromYaml -}}
{{- $enabled := list -}}
{{- range $key, $service := $table -}}
{{- $values := index $.Values.services $key -}}
{{- if $values.enabled -}}
{{- $enabled = append $enabled (merge (dict "key" $key "values" $values) $service) -}}
{{- end -}}
{{- end -}}
{{- toYaml (dict "services" $enabled) -}}
{{- end -}}

{{- define "butterboard.configName" -}}
{{ include "butterboard.fullname" . }}-config
{{- end -}}

{{- define "butterboard.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "butterboard.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The NATS_URL of one service: its own from the Secret, or the shared one from the ConfigMap. */}}
{{- define "butterboard.natsEnv" -}}
{{- if .root.Values.nats.existingSecret -}}
- name: NATS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .root.Values.nats.existingSecret }}
      key: {{ .service.name }}
{{- end }}
{{- end -}}

{{/* Bearer-token verification: the HS256 secret, or the RS256 public key file. */}}
{{- define "butterboard.jwtEnv" -}}
{{- if eq .Values.auth.algorithm "HS256" -}}
- name: AUTH_JWT_HS256_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.auth.existingSecret }}
      key: AUTH_JWT_HS256_SECRET
{{- else -}}
- name: AUTH_JWT_RS256_PUBLIC_KEY_FILE
  value: /var/run/secrets/butterboard/jwt/public.pem
{{- end }}
{{- end -}}
