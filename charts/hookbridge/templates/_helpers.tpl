{{/* Names, labels and the few derived values every template shares. */}}

{{- define "hookbridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hookbridge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "hookbridge.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "hookbridge.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hookbridge.operator.fullname" -}}
{{- printf "%s-operator" (include "hookbridge.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hookbridge.receiver.fullname" -}}
{{- printf "%s-receiver" (include "hookbridge.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hookbridge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "hookbridge.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hookbridge
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels for one component: include "hookbridge.selectorLabels" (list . "receiver") */}}
{{- define "hookbridge.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ include "hookbridge.name" $ctx }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "hookbridge.componentLabels" -}}
{{ include "hookbridge.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "hookbridge.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "hookbridge.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create -}}
{{- default (include "hookbridge.operator.fullname" .) .Values.operator.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.operator.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hookbridge.receiver.serviceAccountName" -}}
{{- if .Values.receiver.serviceAccount.create -}}
{{- default (include "hookbridge.receiver.fullname" .) .Values.receiver.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.receiver.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hookbridge.adminTokenSecret" -}}
{{- default (printf "%s-admin" (include "hookbridge.fullname" .)) .Values.adminToken.existingSecret -}}
{{- end -}}

{{/* In-cluster receiver URL: what the operator and in-cluster connectors dial. */}}
{{- define "hookbridge.receiver.internalUrl" -}}
{{- printf "http://%s.%s.svc:%v" (include "hookbridge.receiver.fullname" .) .Release.Namespace .Values.receiver.service.port -}}
{{- end -}}

{{/* Public base URL: publicUrl, else the first Ingress host, else the in-cluster Service. */}}
{{- define "hookbridge.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl | trimSuffix "/" -}}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts -}}
{{- $host := (index .Values.ingress.hosts 0).host -}}
{{- $tls := false -}}
{{- range .Values.ingress.tls }}{{ if has $host (.hosts | default list) }}{{ $tls = true }}{{ end }}{{ end -}}
{{- printf "%s://%s" (ternary "https" "http" $tls) $host -}}
{{- else -}}
{{- include "hookbridge.receiver.internalUrl" . -}}
{{- end -}}
{{- end -}}

{{/* The writable /tmp every container gets, since the root filesystem is read-only. */}}
{{- define "hookbridge.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/*
The receiver's resources. Without an explicit limits.memory, the limit is derived from the message history
budget, which is what grows with traffic: 320 MiB for the process, its sockets and read-ahead, plus three
times the budget (the index's heap, and the garbage collector's room to copy it). 24 MiB gives 392Mi.
*/}}
{{- define "hookbridge.receiverResources" -}}
{{- $r := .Values.receiver -}}
{{- $res := deepCopy (default dict $r.resources) -}}
{{- $limits := deepCopy (default dict $res.limits) -}}
{{- if not $limits.memory -}}
{{- $_ := set $limits "memory" (printf "%dMi" (add 320 (div (mul 3 (int64 $r.history.maxBytes)) 1048576))) -}}
{{- end -}}
{{- $_ := set $res "limits" $limits -}}
{{- toYaml $res -}}
{{- end -}}
