import { clientFault, invalidParameter } from '../fault.js';

/** Names ECS accepts for clusters, families, containers and volumes: up to 255 letters, digits, - and _. */
const NAME = /^[a-zA-Z0-9_-]{1,255}$/;

export function checkName(kind: string, value: string, fault = invalidParameter): string {
  if (!NAME.test(value)) {
    throw fault(
      `${kind} '${value.length > 64 ? value.slice(0, 64) + '…' : value}' is invalid: use 1 to 255 letters, numbers, hyphens and underscores.`,
    );
  }
  return value;
}

export const checkFamily = (family: string): string => checkName('Family', family, clientFault);
