import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ConsoleMetricExporter, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/**
 * The OpenTelemetry SDK, configured by the standard variables:
 *  - OTEL_SDK_DISABLED=true turns everything off;
 *  - OTEL_TRACES_EXPORTER: `otlp` (OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
 *    OTEL_EXPORTER_OTLP_HEADERS, …, read by the exporter), `console`, or unset/`none` = no tracing
 *    (the default, so a laptop without a collector sends nothing anywhere);
 *  - OTEL_METRICS_EXPORTER: `otlp` or `console` push metrics too (OTEL_METRIC_EXPORT_INTERVAL);
 *    the Prometheus endpoint GET /metrics is always served;
 *  - OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES name the process; OTEL_BSP_* tune batching;
 *    OTEL_LOG_LEVEL sets the SDK's own diagnostics.
 * Without a registered provider the tracing API calls in the code are no-ops.
 */
export interface Telemetry {
  resource: Resource;
  tracerProvider?: NodeTracerProvider;
  shutdown(): Promise<void>;
}

const enabled = (env: NodeJS.ProcessEnv) => env.OTEL_SDK_DISABLED !== 'true';

export function telemetryResource(serviceName: string): Resource {
  // The environment (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) wins over the defaults.
  return defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, [ATTR_SERVICE_VERSION]: '0.1.0' }))
    .merge(detectResources({ detectors: [envDetector] }));
}

export function startTelemetry(options: { serviceName: string; env?: NodeJS.ProcessEnv }): Telemetry {
  const env = options.env ?? process.env;
  const resource = telemetryResource(options.serviceName);
  if (!enabled(env)) return { resource, shutdown: async () => undefined };
  if (env.OTEL_LOG_LEVEL) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[env.OTEL_LOG_LEVEL.toUpperCase() as keyof typeof DiagLogLevel] ?? DiagLogLevel.WARN);
  const kind = (env.OTEL_TRACES_EXPORTER ?? 'none').split(',').map((s) => s.trim());
  const processors: SpanProcessor[] = [];
  if (kind.includes('otlp')) processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
  if (kind.includes('console')) processors.push(new BatchSpanProcessor(new ConsoleSpanExporter()));
  if (processors.length === 0) return { resource, shutdown: async () => undefined };
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors: processors });
  tracerProvider.register();
  return { resource, tracerProvider, shutdown: () => tracerProvider.shutdown() };
}

/** Push readers for the metrics SDK from OTEL_METRICS_EXPORTER (the pull side is GET /metrics). */
export function metricReadersFromEnv(env: NodeJS.ProcessEnv = process.env): MetricReader[] {
  if (!enabled(env)) return [];
  const kind = (env.OTEL_METRICS_EXPORTER ?? 'none').split(',').map((s) => s.trim());
  const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
  const readers: MetricReader[] = [];
  if (kind.includes('otlp')) readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: interval }));
  if (kind.includes('console')) readers.push(new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: interval }));
  return readers;
}
