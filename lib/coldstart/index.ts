/**
 * Cold start from item text (issue 5, first step: no native change): the attribute-to-feature
 * mapping of Gantner et al. (ICDM 2010) in ./text-mapping.ts and ./cold-start.ts, on the Float64
 * ridge solve of ./ridge.ts and ./cholesky.ts; moving a text model to another catalogue in ./transfer.ts.
 * The public names lib/index.ts re-exports.
 */
export { coldStartFromText, type ColdStartOptions, type ColdStartResult } from './cold-start.js';
export { fitTextMapping, TextMapping, LAMBDA_GRID, type ApplyOptions, type TextMappingOptions } from './text-mapping.js';
export { transferToCatalogue, type TransferOptions } from './transfer.js';
export { ridgeRegression, type RidgeFit } from './ridge.js';
export { choleskyFactor, choleskySolve, forwardSubstitute, solveSPD } from './cholesky.js';
