/**
 * A fault is an error a client caused or may see, named by the AWS error code it maps to.
 * Layers throw faults with a message written for the client; api/ maps the code to an HTTP status
 * through the service's error registry, and logs anything that is not a fault as an internal error.
 */
export class Fault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export const clientFault = (message: string): Fault => new Fault('ClientException', message);
export const invalidParameter = (message: string): Fault => new Fault('InvalidParameterException', message);
