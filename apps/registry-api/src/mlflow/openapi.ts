import type { OpenAPIObject } from '@nestjs/swagger';

const MLFLOW_PATH = /^\/(api|ajax-api)\/2\.0\/mlflow\//;

/**
 * The MLflow-compatible routes answer in MLflow's shapes and error form, not the native
 * problem+json contract, so they get their own document (/mlflow/docs-json) and stay out of the
 * native one (/docs-json), whose strict schema is fuzzed.
 */
export function splitMlflowPaths(doc: OpenAPIObject): { native: OpenAPIObject; mlflow: OpenAPIObject } {
  const nativePaths: OpenAPIObject['paths'] = {};
  const mlflowPaths: OpenAPIObject['paths'] = {};
  for (const [path, item] of Object.entries(doc.paths)) (MLFLOW_PATH.test(path) ? mlflowPaths : nativePaths)[path] = item;
  const nativeTags = (doc.tags ?? []).filter((t) => t.name !== 'mlflow');
  return {
    native: { ...doc, paths: nativePaths, ...(doc.tags ? { tags: nativeTags } : {}) },
    mlflow: {
      ...doc,
      info: {
        ...doc.info,
        title: 'model-ledger: MLflow-compatible Model Registry API',
        description:
          "MLflow 3.x Model Registry REST API (also under /ajax-api/2.0/mlflow/). Errors are MLflow's {error_code, message}. See docs/MLFLOW.md for the mapping onto the ledger.",
      },
      paths: mlflowPaths,
      tags: [{ name: 'mlflow', description: 'MLflow Model Registry' }],
    },
  };
}
