/** Public surface of the anomaly models (see each module's header for details). */
export { initBackend, currentBackend, BACKEND_NAMES, type BackendName, type InitBackendOptions } from './backend';
export {
  extractFeatures,
  fnv1a32,
  FEATURE_DIM,
  FEATURE_NAMES,
  FEATURE_VERSION,
  type FeatureOptions,
  type IncidentAlert,
  type IncidentFeatureInput,
  type IncidentHistory,
} from './features';
export {
  averagePathLength,
  IsolationForest,
  type FeatureContribution,
  type IsolationForestJson,
  type IsolationForestOptions,
} from './isolationForest';
export { TfForestScorer } from './isolationForestTf';
export { Autoencoder, type AutoencoderJson, type AutoencoderOptions } from './autoencoder';
export { Ensemble, type EnsembleJson, type EnsembleOptions } from './ensemble';
export { EmpiricalCdf } from './calibration';
export { averagePrecision, prAuc, rocAuc } from './metrics';
export { loadLabelledCsv, parseLabelledCsv, type LabelledData } from './csv';
export { toMatrix, type Matrix, type MatrixLike } from './matrix';
