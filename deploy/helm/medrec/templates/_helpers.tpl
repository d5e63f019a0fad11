{{- define "medrec.fullname" -}}
{{- printf "%s-medrec" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "medrec.labels" -}}
app.kubernetes.io/name: medrec
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
medrec.example/hospital: {{ .Values.hospital.key }}
{{- end -}}

{{- define "medrec.identity" -}}
{{- printf "%s-%s" (include "medrec.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
