export type { JobDocument as JobMapper } from '../../jobs/job-document.js';
