import { startImport } from "../model/imports";
import { notFound } from "../errors";
import { paginate } from "../validate";
import { type RequestContext, obj, optInt, optStr, seconds, str } from "./context";
import { jobProperties, jobSummary } from "./render";

export function handleStartImport(ctx: RequestContext) {
  const datastoreId = str(ctx, "datastoreId");
  const job = startImport(ctx.svc, {
    datastoreId,
    jobName: optStr(ctx, "jobName"),
    dataAccessRoleArn: str(ctx, "dataAccessRoleArn"),
    clientToken: str(ctx, "clientToken"),
    inputS3Uri: str(ctx, "inputS3Uri"),
    outputS3Uri: str(ctx, "outputS3Uri"),
    importConfiguration: obj(ctx, "importConfiguration"),
  });
  const response = { datastoreId, jobId: job.jobId, jobStatus: job.jobStatus, submittedAt: seconds(job.submittedAt) };
  if (job.jobStatus === "SUBMITTED") {
    job.jobStatus = "IN_PROGRESS";
    ctx.svc.store.commit(job);
  }
  return { json: response };
}

export function handleGetImportJob(ctx: RequestContext) {
  const datastoreId = str(ctx, "datastoreId");
  const jobId = str(ctx, "jobId");
  ctx.svc.datastore(datastoreId);
  const job = ctx.svc.state.jobs[jobId];
  if (!job || job.datastoreId !== datastoreId) throw notFound(`Import job ${jobId} does not exist in datastore ${datastoreId}.`);
  return { json: { jobProperties: jobProperties(job) } };
}

export function handleListImportJobs(ctx: RequestContext) {
  const datastoreId = str(ctx, "datastoreId");
  ctx.svc.datastore(datastoreId);
  const status = optStr(ctx, "jobStatus");
  const jobs = Object.values(ctx.svc.state.jobs)
    .filter((j) => j.datastoreId === datastoreId && (!status || j.jobStatus === status))
    .sort((a, b) => b.submittedAt - a.submittedAt || a.jobId.localeCompare(b.jobId));
  const { page, nextToken } = paginate(jobs, optInt(ctx, "maxResults"), optStr(ctx, "nextToken"), `jobs:${datastoreId}:${status ?? ""}`);
  return { json: { jobSummaries: page.map(jobSummary), nextToken } };
}
