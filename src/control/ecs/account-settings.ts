import type {
  DeleteAccountSettingRequest,
  ListAccountSettingsRequest,
  ListAccountSettingsResponse,
  PutAccountSettingDefaultRequest,
  PutAccountSettingRequest,
  Setting,
  SettingName,
} from '@aws-sdk/client-ecs';
import { arn, parseArn } from '../../core/arn.js';
import {
  ACCOUNT_SETTINGS,
  DEFAULT_ONLY,
  SETTING_NAMES,
  checkSetting,
} from '../../core/ecs/account-settings.js';
import { invalidParameter } from '../../core/fault.js';
import { decodeToken, page, pageSize } from '../../core/pagination.js';
import type { Caller, ControlDeps } from '../context.js';

/**
 * Account settings, resolved as ECS does: a principal's own setting, else the account default
 * (stored under the account root ARN), else the built-in default (type `aws_managed`).
 */
export class AccountSettingOperations {
  constructor(private readonly deps: ControlDeps) {}

  private get root(): string {
    return arn({ ...this.deps.scope, region: '' }, 'iam', 'root', '');
  }

  async put(input: PutAccountSettingRequest, caller: Caller): Promise<Setting> {
    const name = input.name as SettingName;
    const value = input.value ?? '';
    checkSetting(name, value);
    const principalArn = this.principal(input.principalArn, caller);
    if (DEFAULT_ONLY.has(name) && principalArn !== this.root) {
      throw invalidParameter(`'${name}' is an account-wide setting: use PutAccountSettingDefault.`);
    }
    await this.deps.store.accountSettings.put({ principalArn, name, value });
    return { name, value, principalArn, type: 'user' };
  }

  async putDefault(input: PutAccountSettingDefaultRequest): Promise<Setting> {
    const name = input.name as SettingName;
    const value = input.value ?? '';
    checkSetting(name, value);
    await this.deps.store.accountSettings.put({ principalArn: this.root, name, value });
    return { name, value, principalArn: this.root, type: 'user' };
  }

  async remove(input: DeleteAccountSettingRequest, caller: Caller): Promise<Setting> {
    const name = input.name as SettingName;
    const principalArn = this.principal(input.principalArn, caller);
    const [existing] = (await this.deps.store.accountSettings.forPrincipals([principalArn])).filter(
      (s) => s.name === name,
    );
    if (!existing || !(await this.deps.store.accountSettings.remove(principalArn, name))) {
      throw invalidParameter(`No account setting '${name}' is set for ${principalArn}.`);
    }
    return { name, value: existing.value, principalArn, type: 'user' };
  }

  async list(input: ListAccountSettingsRequest, caller: Caller): Promise<ListAccountSettingsResponse> {
    const limit = pageSize(input.maxResults, 10);
    const after = decodeToken(input.nextToken)?.[0];
    const principalArn = this.principal(input.principalArn, caller);
    const stored = await this.deps.store.accountSettings.forPrincipals([principalArn, this.root]);
    const own = new Map(stored.filter((s) => s.principalArn === principalArn).map((s) => [s.name, s.value]));
    const account = new Map(stored.filter((s) => s.principalArn === this.root).map((s) => [s.name, s.value]));

    const settings: Setting[] = [];
    for (const name of SETTING_NAMES) {
      if (input.name !== undefined && input.name !== name) continue;
      const mine = own.get(name);
      let setting: Setting | undefined;
      if (mine !== undefined) setting = { name, value: mine, principalArn, type: 'user' };
      else if (input.effectiveSettings) {
        const fallback = account.get(name);
        setting =
          fallback !== undefined
            ? { name, value: fallback, principalArn: this.root, type: 'user' }
            : { name, value: ACCOUNT_SETTINGS[name].default, principalArn: this.root, type: 'aws_managed' };
      }
      if (setting && (input.value === undefined || setting.value === input.value)) settings.push(setting);
    }
    const remaining = after === undefined ? settings : settings.filter((s) => (s.name ?? '') > String(after));
    const { items, nextToken } = page(remaining, limit, (s) => [s.name ?? '']);
    return { settings: items, ...(nextToken ? { nextToken } : {}) };
  }

  private principal(requested: string | undefined, caller: Caller): string {
    if (requested === undefined) return caller.principalArn;
    const parsed = parseArn(requested);
    if (!parsed || parsed.service !== 'iam' || !/^(root|user\/.+|role\/.+)$/.test(parsed.resource)) {
      throw invalidParameter(
        `principalArn '${requested}' must be the ARN of an IAM user, role or the account root.`,
      );
    }
    if (parsed.accountId !== this.deps.scope.accountId) {
      throw invalidParameter(`principalArn '${requested}' belongs to another account.`);
    }
    return requested;
  }
}
