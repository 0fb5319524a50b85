import { DEFINITION_FORMAT_VERSION, DefinitionSchema } from '../../src/core/definition.schema';
import { canonicalName } from '../../src/core/names';
import { newId } from '../../src/models/ids';
import { WorkflowModel } from '../../src/models/workflow.model';

/**
 * Stores a definition straight into the `workflows` collection (parsed, not validated), for tests of
 * step kinds whose save-time validation is not on this branch yet (built-in steps, callable triggers).
 * Returns its id. Everything else goes through the API.
 */
export async function storeDefinition(org: string, input: unknown, id = newId()): Promise<string> {
  const definition = DefinitionSchema.parse(input);
  const now = new Date();
  await WorkflowModel.create({
    _id: id,
    org,
    name: definition.name,
    eventName: canonicalName(definition.trigger.eventName),
    enabled: definition.enabled,
    rev: 1,
    formatVersion: DEFINITION_FORMAT_VERSION,
    definitionJson: JSON.stringify(definition),
    createdAt: now,
    updatedAt: now,
  });
  return id;
}
