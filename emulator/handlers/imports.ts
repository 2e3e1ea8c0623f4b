import { startImport } from "../model/imports";
import { maxResults, oneOf, optionalPattern, paginate, requirePattern } from "../validate";
import { notFound } from "../errors";
import { RequestContext, jsonBody, queryValue, seconds } from "./context";
import { jobProperties, jobSummary } from "./render";

export function handleStartImport(ctx: RequestContext) {
  const datastoreId = requirePattern(ctx.params.datastoreId, "datastoreId", "id32");
  const body = jsonBody(ctx);
  optionalPattern(body.inputOwnerAccountId, "inputOwnerAccountId", "accountId");
  const job = startImport(ctx.svc, {
    datastoreId,
    jobName: optionalPattern(body.jobName, "jobName", "name", 1, 64),
    dataAccessRoleArn: requirePattern(body.dataAccessRoleArn, "dataAccessRoleArn", "roleArn", 20, 2048),
    clientToken: requirePattern(body.clientToken, "clientToken", "clientToken", 1, 64),
    inputS3Uri: requirePattern(body.inputS3Uri, "inputS3Uri", "s3Uri", 1, 1024),
    outputS3Uri: requirePattern(body.outputS3Uri, "outputS3Uri", "s3Uri", 1, 1024),
  });
  const response = { datastoreId, jobId: job.jobId, jobStatus: job.jobStatus, submittedAt: seconds(job.submittedAt) };
  if (job.jobStatus === "SUBMITTED") {
    job.jobStatus = "IN_PROGRESS";
    ctx.svc.store.commit();
  }
  return { json: response };
}

export function handleGetImportJob(ctx: RequestContext) {
  const datastoreId = requirePattern(ctx.params.datastoreId, "datastoreId", "id32");
  const jobId = requirePattern(ctx.params.jobId, "jobId", "jobId");
  ctx.svc.datastore(datastoreId);
  const job = ctx.svc.state.jobs[jobId];
  if (!job || job.datastoreId !== datastoreId) throw notFound(`Import job ${jobId} does not exist in datastore ${datastoreId}.`);
  return { json: { jobProperties: jobProperties(job) } };
}

export function handleListImportJobs(ctx: RequestContext) {
  const datastoreId = requirePattern(ctx.params.datastoreId, "datastoreId", "id32");
  ctx.svc.datastore(datastoreId);
  const status = queryValue(ctx, "jobStatus");
  if (status !== undefined) oneOf(status, "jobStatus", ["SUBMITTED", "IN_PROGRESS", "COMPLETED", "FAILED"]);
  const jobs = Object.values(ctx.svc.state.jobs)
    .filter((j) => j.datastoreId === datastoreId && (!status || j.jobStatus === status))
    .sort((a, b) => b.submittedAt - a.submittedAt || a.jobId.localeCompare(b.jobId));
  const { page, nextToken } = paginate(jobs, maxResults(queryValue(ctx, "maxResults")), queryValue(ctx, "nextToken"), `jobs:${datastoreId}:${status ?? ""}`);
  return { json: { jobSummaries: page.map(jobSummary), nextToken } };
}
