import type { SettingName } from '@aws-sdk/client-ecs';
import { invalidParameter } from '../fault.js';

/** Each account setting's allowed values and the default that applies when nobody set it. */
export const ACCOUNT_SETTINGS: Readonly<Record<SettingName, { values: readonly string[]; default: string }>> =
  {
    awsvpcTrunking: { values: ['enabled', 'disabled'], default: 'disabled' },
    containerInsights: { values: ['enabled', 'disabled', 'enhanced'], default: 'disabled' },
    containerInstanceLongArnFormat: { values: ['enabled', 'disabled'], default: 'enabled' },
    defaultLogDriverMode: { values: ['blocking', 'non-blocking'], default: 'non-blocking' },
    fargateEventWindows: { values: ['enabled', 'disabled'], default: 'disabled' },
    fargateFIPSMode: { values: ['enabled', 'disabled'], default: 'disabled' },
    fargateTaskRetirementWaitPeriod: { values: ['0', '7', '14'], default: '7' },
    guardDutyActivate: { values: ['on', 'off'], default: 'off' },
    serviceLongArnFormat: { values: ['enabled', 'disabled'], default: 'enabled' },
    tagResourceAuthorization: { values: ['on', 'off'], default: 'on' },
    taskLongArnFormat: { values: ['enabled', 'disabled'], default: 'enabled' },
  };

export const SETTING_NAMES = Object.keys(ACCOUNT_SETTINGS) as SettingName[];

export function checkSetting(name: SettingName, value: string): void {
  const spec = ACCOUNT_SETTINGS[name];
  if (!spec.values.includes(value)) {
    throw invalidParameter(
      `The account setting '${name}' accepts ${spec.values.map((v) => `'${v}'`).join(', ')}; got '${value}'.`,
    );
  }
}

/** Settings that only the account default may change (ECS applies them account-wide). */
export const DEFAULT_ONLY: ReadonlySet<SettingName> = new Set([
  'fargateFIPSMode',
  'fargateTaskRetirementWaitPeriod',
  'guardDutyActivate',
  'fargateEventWindows',
]);
