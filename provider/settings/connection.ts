// Where the service is: the region and endpoint of a resource, else the AWS defaults from the
// environment (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).

export interface Connection {
  region?: string;
  endpoint?: string;
}

export interface ResolvedConnection {
  region: string;
  endpoint?: string;
}

export function resolveConnection(c: Connection, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const region = c.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("No AWS region: set the resource's `region`, the aws:region config, or AWS_REGION.");
  const endpoint = c.endpoint ?? env.AWS_ENDPOINT_URL_MEDICAL_IMAGING ?? env.AWS_ENDPOINT_URL;
  return endpoint ? { region, endpoint } : { region };
}

/** The connection of a resource's inputs. */
export function connectionOf(inputs: Connection): ResolvedConnection {
  return resolveConnection({ region: inputs.region, endpoint: inputs.endpoint });
}
