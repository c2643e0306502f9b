//! W3C trace context (`traceparent`, `tracestate`) through bus headers, gRPC metadata and HTTP
//! headers, so one trace follows an event or a call from service to service.
//!
//! The W3C propagator is used directly rather than the global one, so propagation works the same
//! whether or not [`init`](super::init) ran. Injection writes nothing when the current span has no
//! OpenTelemetry context (no subscriber, or the span is disabled by the filter).

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator as _};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::metadata::{KeyRef, MetadataKey, MetadataMap, MetadataValue};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::bus::Headers;

/// Writes the current span's trace context into bus headers.
pub fn inject_current(headers: &mut Headers) {
    inject(&tracing::Span::current().context(), headers);
}

/// Writes `context` into bus headers, replacing any earlier trace context.
pub fn inject(context: &Context, headers: &mut Headers) {
    TraceContextPropagator::new().inject_context(context, &mut HeadersCarrier(headers));
}

/// The trace context carried by bus headers (an empty context when there is none).
pub fn extract(headers: &Headers) -> Context {
    TraceContextPropagator::new().extract(&HeadersReader(headers))
}

/// Makes `span` a child of the trace carried by bus headers; call before entering the span.
pub fn set_parent_from_headers(span: &tracing::Span, headers: &Headers) {
    set_parent(span, extract(headers));
}

/// Writes the current span's trace context into outgoing gRPC metadata.
pub fn inject_current_metadata(metadata: &mut MetadataMap) {
    let context = tracing::Span::current().context();
    TraceContextPropagator::new().inject_context(&context, &mut MetadataCarrier(metadata));
}

/// The trace context carried by incoming gRPC metadata.
pub fn extract_metadata(metadata: &MetadataMap) -> Context {
    TraceContextPropagator::new().extract(&MetadataReader(metadata))
}

/// Makes `span` a child of the trace carried by gRPC metadata.
pub fn set_parent_from_metadata(span: &tracing::Span, metadata: &MetadataMap) {
    set_parent(span, extract_metadata(metadata));
}

/// The trace context carried by HTTP headers (the gRPC server layer and webhook handlers).
pub fn extract_http(headers: &http::HeaderMap) -> Context {
    TraceContextPropagator::new().extract(&HttpReader(headers))
}

/// Makes `span` a child of the trace carried by HTTP headers.
pub fn set_parent_from_http(span: &tracing::Span, headers: &http::HeaderMap) {
    set_parent(span, extract_http(headers));
}

fn set_parent(span: &tracing::Span, context: Context) {
    // Fails only when no OpenTelemetry layer records this span: there is nothing to link then.
    let _ = span.set_parent(context);
}

struct HeadersCarrier<'a>(&'a mut Headers);

impl Injector for HeadersCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        // Headers keep the case they were given; drop any other spelling so a message never
        // carries two parents.
        self.0.retain(|name, _| !name.eq_ignore_ascii_case(key));
        self.0.insert(key.to_string(), value);
    }
}

struct HeadersReader<'a>(&'a Headers);

impl Extractor for HeadersReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .or_else(|| self.0.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|(_, value)| value))
            .map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

struct MetadataCarrier<'a>(&'a mut MetadataMap);

impl Injector for MetadataCarrier<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator only writes lowercase ASCII names and printable values; anything else is
        // skipped rather than failing the call it decorates.
        if let (Ok(key), Ok(value)) = (MetadataKey::from_bytes(key.as_bytes()), MetadataValue::try_from(value)) {
            self.0.insert(key, value);
        }
    }
}

struct MetadataReader<'a>(&'a MetadataMap);

impl Extractor for MetadataReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .filter_map(|key| match key {
                KeyRef::Ascii(key) => Some(key.as_str()),
                KeyRef::Binary(_) => None,
            })
            .collect()
    }
}

struct HttpReader<'a>(&'a http::HeaderMap);

impl Extractor for HttpReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState};

    use super::*;

    fn remote_context() -> Context {
        let span = SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap_or(TraceId::INVALID),
            SpanId::from_hex("00f067aa0ba902b7").unwrap_or(SpanId::INVALID),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        Context::new().with_remote_span_context(span)
    }

    #[test]
    fn a_context_round_trips_through_bus_headers() {
        let mut headers = Headers::new();
        headers.insert("Traceparent".to_string(), "stale".to_string());
        inject(&remote_context(), &mut headers);
        assert_eq!(
            headers.get("traceparent").map(String::as_str),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
        assert!(!headers.contains_key("Traceparent"));
        let extracted = extract(&headers);
        assert_eq!(extracted.span().span_context().trace_id(), remote_context().span().span_context().trace_id());
    }

    #[test]
    fn headers_are_read_whatever_their_case() {
        let mut headers = Headers::new();
        headers
            .insert("TraceParent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
        assert!(extract(&headers).span().span_context().is_valid());
    }

    #[test]
    fn no_headers_give_an_empty_context() {
        assert!(!extract(&Headers::new()).span().span_context().is_valid());
    }
}
