import type { JsonObject } from '../core/json';
import type { CustomerFields } from '../core/records.schema';
import { CustomerModel } from '../models/customer.model';
import { CUSTOMER } from './record-kinds';
import { loadRecord, planUpdate, type CreatePlan, type UpdatePlan } from './record-store';

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

export function planCustomerUpdate(
  org: string,
  id: string,
  patch: Partial<CustomerFields>,
  now: Date,
): Promise<UpdatePlan> {
  return planUpdate(CUSTOMER, org, id, { type: 'customer.patch', patch }, now);
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
