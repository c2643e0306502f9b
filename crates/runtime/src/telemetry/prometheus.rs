//! Prometheus text exposition of the OpenTelemetry metrics, for `/metrics`.
//!
//! Why not `opentelemetry-prometheus`: in 0.33 it only fills a `prometheus::Registry`, and
//! turning that into text needs the `prometheus` crate's encoder, a second metrics library kept
//! in the build just to print. The text format is small, so we read the SDK's data through a
//! [`ManualReader`] and write it ourselves, following the OpenTelemetry → Prometheus
//! compatibility rules: names sanitised, unit suffixes, `_total` on counters, cumulative buckets.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Weak};
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, Metric, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{InstrumentKind, ManualReader, Pipeline, Temporality};

/// A [`ManualReader`] shared between the meter provider (which owns a reader) and `/metrics`.
#[derive(Clone, Debug)]
pub(super) struct PrometheusReader(Arc<ManualReader>);

impl PrometheusReader {
    pub(super) fn new() -> Self {
        // Prometheus expects counters and histograms to only grow between scrapes.
        Self(Arc::new(ManualReader::builder().with_temporality(Temporality::Cumulative).build()))
    }

    pub(super) fn render(&self) -> anyhow::Result<String> {
        let mut metrics = ResourceMetrics::default();
        self.0.collect(&mut metrics).map_err(|error| anyhow::anyhow!("cannot collect metrics: {error}"))?;
        Ok(render(&metrics))
    }
}

impl MetricReader for PrometheusReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline);
    }
    fn collect(&self, metrics: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(metrics)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

/// One `# TYPE` block: Prometheus forbids two blocks with the same name, so metrics from several
/// scopes that map to one name are merged here.
struct Family {
    kind: &'static str,
    help: String,
    lines: Vec<String>,
}

fn render(metrics: &ResourceMetrics) -> String {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for scope in metrics.scope_metrics() {
        for metric in scope.metrics() {
            match metric.data() {
                AggregatedMetrics::F64(data) => add(&mut families, metric, data),
                AggregatedMetrics::U64(data) => add(&mut families, metric, data),
                AggregatedMetrics::I64(data) => add(&mut families, metric, data),
            }
        }
    }
    let mut text = String::new();
    for (name, family) in families {
        if !family.help.is_empty() {
            let _ = writeln!(text, "# HELP {name} {}", escape(&family.help, false));
        }
        let _ = writeln!(text, "# TYPE {name} {}", family.kind);
        for line in family.lines {
            text.push_str(&line);
            text.push('\n');
        }
    }
    text
}

/// Numbers as Prometheus reads them.
trait Number: Copy {
    fn value(self) -> f64;
}
impl Number for f64 {
    fn value(self) -> f64 {
        self
    }
}
impl Number for u64 {
    #[allow(clippy::cast_precision_loss)] // Prometheus samples are floats.
    fn value(self) -> f64 {
        self as f64
    }
}
impl Number for i64 {
    #[allow(clippy::cast_precision_loss)]
    fn value(self) -> f64 {
        self as f64
    }
}

fn add<T: Number>(families: &mut BTreeMap<String, Family>, metric: &Metric, data: &MetricData<T>) {
    let base = base_name(metric);
    let (name, kind, lines) = match data {
        MetricData::Gauge(gauge) => {
            let lines = gauge.data_points().map(|p| sample(&base, p.attributes(), None, p.value().value())).collect();
            (base, "gauge", lines)
        }
        MetricData::Sum(sum) if sum.is_monotonic() => {
            let name = if base.ends_with("_total") { base } else { format!("{base}_total") };
            let lines = sum.data_points().map(|p| sample(&name, p.attributes(), None, p.value().value())).collect();
            (name, "counter", lines)
        }
        // An up-down counter can fall: for Prometheus that is a gauge.
        MetricData::Sum(sum) => {
            let lines = sum.data_points().map(|p| sample(&base, p.attributes(), None, p.value().value())).collect();
            (base, "gauge", lines)
        }
        MetricData::Histogram(histogram) => {
            let mut lines = Vec::new();
            for point in histogram.data_points() {
                let mut cumulative = 0;
                for (bound, count) in point.bounds().zip(point.bucket_counts()) {
                    cumulative += count;
                    let le = format_number(bound);
                    lines.push(sample(&format!("{base}_bucket"), point.attributes(), Some(&le), cumulative.value()));
                }
                let count = point.count();
                lines.push(sample(&format!("{base}_bucket"), point.attributes(), Some("+Inf"), count.value()));
                lines.push(sample(&format!("{base}_sum"), point.attributes(), None, point.sum().value()));
                lines.push(sample(&format!("{base}_count"), point.attributes(), None, count.value()));
            }
            (base, "histogram", lines)
        }
        MetricData::ExponentialHistogram(_) => {
            tracing::debug!(metric = metric.name(), "exponential histograms are not exposed to prometheus");
            return;
        }
    };
    let family = families.entry(name.clone()).or_insert_with(|| Family {
        kind,
        help: metric.description().to_string(),
        lines: Vec::new(),
    });
    if family.kind != kind {
        tracing::debug!(metric = %name, "two metrics of different kinds map to one prometheus name, keeping the first");
        return;
    }
    family.lines.extend(lines);
}

/// The metric name, sanitised, with its unit as a suffix (`duration` + `s` → `duration_seconds`).
fn base_name(metric: &Metric) -> String {
    let mut name = sanitize(metric.name());
    let unit = match metric.unit() {
        "" | "1" => String::new(),
        unit if unit.starts_with('{') => String::new(), // an annotation such as `{message}`
        "s" => "seconds".to_string(),
        "ms" => "milliseconds".to_string(),
        "By" => "bytes".to_string(),
        other => sanitize(other),
    };
    if !unit.is_empty() && !name.ends_with(&unit) {
        name = format!("{name}_{unit}");
    }
    name
}

/// Prometheus names and label names: `[a-zA-Z_:][a-zA-Z0-9_:]*` (labels without `:`).
fn sanitize(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

fn sample<'a>(name: &str, attributes: impl Iterator<Item = &'a KeyValue>, le: Option<&str>, value: f64) -> String {
    let mut labels: Vec<String> = attributes
        .map(|kv| {
            format!("{}=\"{}\"", sanitize(kv.key.as_str()).replace(':', "_"), escape(&kv.value.to_string(), true))
        })
        .collect();
    if let Some(le) = le {
        labels.push(format!("le=\"{le}\""));
    }
    if labels.is_empty() {
        format!("{name} {}", format_number(value))
    } else {
        format!("{name}{{{}}} {}", labels.join(","), format_number(value))
    }
}

/// `\` and newlines in HELP; also `"` in label values.
fn escape(text: &str, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' if quotes => out.push_str("\\\""),
            c => out.push(c),
        }
    }
    out
}

fn format_number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf".to_string() } else { "-Inf".to_string() }
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::metrics::SdkMeterProvider;

    use super::*;

    #[test]
    fn counters_and_histograms_render_in_the_text_format() {
        let reader = PrometheusReader::new();
        let provider = SdkMeterProvider::builder().with_reader(reader.clone()).build();
        let meter = provider.meter("test");
        let counter = meter.u64_counter("webhooks.received").with_description("Webhooks \"received\"").build();
        counter.add(3, &[KeyValue::new("event", "meeting.\"ended\"")]);
        let histogram = meter.f64_histogram("upload.duration").with_unit("s").with_boundaries(vec![1.0, 5.0]).build();
        histogram.record(0.5, &[]);
        histogram.record(2.0, &[]);

        let text = reader.render().unwrap_or_default();
        assert!(text.contains("# TYPE webhooks_received_total counter\n"), "{text}");
        assert!(text.contains("# HELP webhooks_received_total Webhooks \"received\"\n"), "{text}");
        assert!(text.contains("webhooks_received_total{event=\"meeting.\\\"ended\\\"\"} 3\n"), "{text}");
        assert!(text.contains("upload_duration_seconds_bucket{le=\"1\"} 1\n"), "{text}");
        assert!(text.contains("upload_duration_seconds_bucket{le=\"5\"} 2\n"), "{text}");
        assert!(text.contains("upload_duration_seconds_bucket{le=\"+Inf\"} 2\n"), "{text}");
        assert!(text.contains("upload_duration_seconds_count 2\n"), "{text}");
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitize("http.server-duration"), "http_server_duration");
        assert_eq!(sanitize("1st"), "_1st");
    }
}
