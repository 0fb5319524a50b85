import type { JsonObject } from '../core/json';
import type { CustomerFields } from '../core/records.schema';
import { CustomerModel } from '../models/customer.model';
import { CUSTOMER, loadRecord, planUpdate, type CreatePlan, type UpdatePlan } from './records';

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

/** Customers with an email address (any case) and/or an external id, oldest first. */
export async function listCustomers(
  org: string,
  by: { email?: string; externalId?: string },
  limit: number,
): Promise<JsonObject[]> {
  const filter: Record<string, unknown> = { org };
  if (by.email !== undefined) filter.emailIndex = by.email.toLowerCase();
  if (by.externalId !== undefined) filter.externalId = by.externalId;
  const docs: unknown[] = await CustomerModel.find(filter).sort({ createdAt: 1, _id: 1 }).limit(limit).lean();
  return docs.map((d) => CUSTOMER.toJson(d));
}

export async function findCustomerByEmail(org: string, email: string): Promise<JsonObject | undefined> {
  return (await listCustomers(org, { email }, 1))[0];
}

export async function findCustomerByExternalId(org: string, externalId: string): Promise<JsonObject | undefined> {
  return (await listCustomers(org, { externalId }, 1))[0];
}

/** `customer.find`: the identifier may be an id, an email address or an external id, tried in that order. */
export async function findCustomer(org: string, identifier: string): Promise<JsonObject | undefined> {
  return (
    (await getCustomer(org, identifier)) ??
    (identifier.includes('@') ? await findCustomerByEmail(org, identifier) : undefined) ??
    (await findCustomerByExternalId(org, identifier))
  );
}
