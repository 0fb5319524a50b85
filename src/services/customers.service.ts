import type { JsonObject } from '../core/json';
import type { CustomerFields } from '../core/records.schema';
import { CustomerModel } from '../models/customer.model';
import {
  applyCreate,
  applyUpdate,
  CUSTOMER,
  loadRecord,
  planAndApply,
  planUpdate,
  storedCreatePlan,
  storedUpdatePlan,
  type CreatePlan,
  type CustomerJson,
  type StoredPlan,
  type UpdatePlan,
  type Writer,
} from './records';

export function planCustomerCreate(fields: CustomerFields, id: string, now: Date): CreatePlan<'customer'> {
  const at = now.toISOString();
  return {
    type: 'create',
    kind: 'customer',
    record: {
      id,
      name: fields.name ?? null,
      emails: fields.emails ?? [],
      phones: fields.phones ?? [],
      externalId: fields.externalId ?? null,
      custom: fields.custom ?? {},
      createdAt: at,
      updatedAt: at,
    },
  };
}

/** Creates customer `id`: the API's write and the `customer.create` step's (see Writer). */
export function createCustomer(fields: CustomerFields, id: string, writer: Writer): Promise<JsonObject> {
  return planAndApply(
    writer,
    async () => planCustomerCreate(fields, id, new Date()),
    (plan) => applyCreate(plan, writer.context(), writer.events),
    (stored: StoredPlan<CreatePlan<'customer'>>) => storedCreatePlan(stored, 'customer'),
  );
}

/** Changes the given fields of customer `id` (custom attributes merge key by key). */
export function updateCustomer(id: string, patch: Partial<CustomerFields>, writer: Writer): Promise<JsonObject> {
  return planAndApply(
    writer,
    () => planUpdate(CUSTOMER, writer.org, id, { type: 'customer.patch', patch }, new Date()),
    (plan, save) => applyUpdate(plan, writer.context(), writer.events, save),
    (stored: StoredPlan<UpdatePlan<'customer'>>) => storedUpdatePlan(stored, 'customer'),
  );
}

export function getCustomer(org: string, id: string): Promise<CustomerJson | undefined> {
  return loadRecord(CUSTOMER, org, id);
}

/** Customers with an email address (any case) and/or an external id, oldest first. */
export async function listCustomers(
  org: string,
  by: { email?: string; externalId?: string },
  limit: number,
): Promise<CustomerJson[]> {
  const filter: Record<string, unknown> = { org };
  if (by.email !== undefined) filter.emailIndex = by.email.toLowerCase();
  if (by.externalId !== undefined) filter.externalId = by.externalId;
  const docs = await CustomerModel.find(filter).sort({ createdAt: 1, _id: 1 }).limit(limit).lean();
  return docs.map((d) => CUSTOMER.toJson(d));
}

export async function findCustomerByEmail(org: string, email: string): Promise<CustomerJson | undefined> {
  return (await listCustomers(org, { email }, 1))[0];
}

export async function findCustomerByExternalId(org: string, externalId: string): Promise<CustomerJson | undefined> {
  return (await listCustomers(org, { externalId }, 1))[0];
}

/** `customer.find`: the identifier may be an id, an email address or an external id, tried in that order. */
export async function findCustomer(org: string, identifier: string): Promise<CustomerJson | undefined> {
  return (
    (await getCustomer(org, identifier)) ??
    (identifier.includes('@') ? await findCustomerByEmail(org, identifier) : undefined) ??
    (await findCustomerByExternalId(org, identifier))
  );
}
