import type { JsonObject } from '../core/json';
import type { CustomerFields } from '../core/records.schema';
import { NotFoundError } from '../errors';
import { CustomerModel } from '../models/customer.model';
import { CUSTOMER } from './record-kinds';
import { loadRecord, type CreatePlan, type UpdatePlan } from './record-store';

export function planCustomerCreate(fields: CustomerFields, id: string, now: Date): CreatePlan {
  const at = now.toISOString();
  return {
    type: 'create',
    record: {
      id,
      name: fields.name ?? null,
      emails: (fields.emails ?? []) as JsonObject[],
      phones: (fields.phones ?? []) as JsonObject[],
      externalId: fields.externalId ?? null,
      custom: fields.custom ?? {},
      createdAt: at,
      updatedAt: at,
    },
  };
}

/** Custom attributes merge key by key (as the product does); other given fields replace. */
export async function planCustomerUpdate(
  org: string,
  id: string,
  patch: Partial<CustomerFields>,
  now: Date,
): Promise<UpdatePlan> {
  const before = await loadRecord(CUSTOMER, org, id);
  if (!before) throw new NotFoundError('customer', id);
  const after: JsonObject = { ...before, updatedAt: now.toISOString() };
  if (patch.name !== undefined) after.name = patch.name;
  if (patch.emails !== undefined) after.emails = patch.emails as JsonObject[];
  if (patch.phones !== undefined) after.phones = patch.phones as JsonObject[];
  if (patch.externalId !== undefined) after.externalId = patch.externalId;
  if (patch.custom !== undefined) after.custom = { ...(before.custom as JsonObject), ...patch.custom };
  return { type: 'update', id, before, after };
}

export function getCustomer(org: string, id: string): Promise<JsonObject | undefined> {
  return loadRecord(CUSTOMER, org, id);
}

export async function findCustomerByEmail(org: string, email: string): Promise<JsonObject | undefined> {
  const doc: unknown = await CustomerModel.findOne({ org, emailIndex: email.toLowerCase() })
    .sort({ createdAt: 1 })
    .lean();
  return doc ? CUSTOMER.toJson(doc) : undefined;
}

export async function findCustomerByExternalId(org: string, externalId: string): Promise<JsonObject | undefined> {
  const doc: unknown = await CustomerModel.findOne({ org, externalId }).sort({ createdAt: 1 }).lean();
  return doc ? CUSTOMER.toJson(doc) : undefined;
}

/** `customer.find`: the identifier may be an id, an email address or an external id, tried in that order. */
export async function findCustomer(org: string, identifier: string): Promise<JsonObject | undefined> {
  return (
    (await getCustomer(org, identifier)) ??
    (identifier.includes('@') ? await findCustomerByEmail(org, identifier) : undefined) ??
    (await findCustomerByExternalId(org, identifier))
  );
}
