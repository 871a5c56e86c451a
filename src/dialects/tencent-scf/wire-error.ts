/**
 * Errors raised in Tencent's own terms: a dotted error code (spec §2.6, Appendix B) and a
 * message. Every one is sent as HTTP 200 `{"Response":{"Error":{Code,Message},RequestId}}`
 * (spec §1 finding 4, §2.5): the SDK discards the body of any other status.
 */

export class ScfWireError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ScfWireError';
  }
}

export const scfError = (code: string, message: string): ScfWireError => new ScfWireError(code, message);

// ---- the gateway's common errors (spec §2.6) -------------------------------------------------

export const missingParameter = (name: string): ScfWireError =>
  scfError('MissingParameter', `The request is missing a required parameter \`${name}\`.`);

export const invalidParameterType = (name: string, expected: string): ScfWireError =>
  scfError('InvalidParameter', `The value type of parameter \`${name}\` is not valid: expected ${expected}.`);

export const invalidParameterValue = (
  name: string,
  reason: string,
  code = 'InvalidParameterValue',
): ScfWireError => scfError(code, `Invalid value of parameter \`${name}\`: ${reason}`);
