import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor, ConsoleSpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/**
 * Tracing is off unless OTEL_TRACES_EXPORTER is `otlp` (to OTEL_EXPORTER_OTLP_ENDPOINT, the
 * standard variable) or `console`. Without a provider the API calls in the code are no-ops.
 */
export function startTelemetry(env: NodeJS.ProcessEnv = process.env): NodeTracerProvider | undefined {
  const kind = env.OTEL_TRACES_EXPORTER;
  if (kind !== 'otlp' && kind !== 'console') return undefined;
  const processors: SpanProcessor[] = [new BatchSpanProcessor(kind === 'otlp' ? new OTLPTraceExporter() : new ConsoleSpanExporter())];
  const provider = new NodeTracerProvider({ spanProcessors: processors });
  provider.register();
  return provider;
}
