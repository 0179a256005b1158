// Types of the @shequ/client wrapper surface. Messages mirror proto/shequ/v1/*.proto with
// fields in camelCase; int64 ids and times are numbers; variables are JSON text.

// ---- messages ------------------------------------------------------------------------------

export interface Definition {
  id: string; version: number; name: string; yaml: string; deployedAtMs: number; digest: string;
}
export interface DeployResponse { id: string; version: number; changed: boolean }

export interface Instance {
  id: number; definitionId: string; definitionVersion: number; businessKey: string; unit: string;
  state: 'active' | 'completed' | 'cancelled' | 'failed' | string;
  endStatus: string; variables: string; currentNodes: string[]; parentId: number;
  createdAtMs: number; updatedAtMs: number; endedAtMs: number;
}
export interface StartResponse { instanceId: number; definitionVersion: number }
export interface ListInstancesResponse { instances: Instance[]; nextPageToken: string }
export interface PublishMessageResponse { deliveredTo: number; buffered: boolean }
export interface Event {
  seq: number; instanceId: number; type: string; nodeId: string; actor: string; data: string;
  atMs: number;
}

export interface Task {
  id: number; instanceId: number; nodeId: string; name: string;
  state: 'open' | 'claimed' | 'delegated' | 'completed' | 'cancelled' | string;
  role: string; unit: string; candidates: string[]; assignee: string; owner: string;
  dueAtMs: number; outcomes: string[]; outcome: string; completedBy: string; escalated: boolean;
  escalationRole: string; groupId: number; variables: string; createdAtMs: number;
  completedAtMs: number; definitionId: string;
}
export interface ListTasksResponse { tasks: Task[]; nextPageToken: string }

export interface Job {
  id: number; type: string; instanceId: number; nodeId: string; variables: string;
  retriesLeft: number; attempt: number; deadlineMs: number; definitionId: string;
}
export interface FailJobResponse { incident: boolean; retryAtMs: number }

export interface Incident {
  id: number; instanceId: number; nodeId: string; kind: string; message: string; jobId: number;
  state: string; createdAtMs: number; resolvedAtMs: number;
}
export interface ListIncidentsResponse { incidents: Incident[]; nextPageToken: string }

export interface Notification {
  id: number; recipient: string; role: string; unit: string; kind: string; subject: string;
  body: string; taskId: number; instanceId: number; createdAtMs: number; ackedAtMs: number;
  ackedBy: string;
}
export interface ListNotificationsResponse { notifications: Notification[]; nextPageToken: string }

export interface AdvanceClockResponse { nowMs: number; timersFired: number }
export interface StatsResponse {
  nowMs: number; instancesActive: number; tasksOpen: number; jobsPending: number;
  timersPending: number; incidentsOpen: number; notificationsUnacked: number; commits: number;
  committedRecords: number; storeHealthy: boolean; storeError: string; definitions: number;
}

export interface Unit {
  id: string; parentId: string; name: string; kind: string; communityType: string;
  households: number; residents: number; areaKm2: number; unitClass: number;
  effectiveClass: number; approvedQuota: number;
}
export interface QuotaComputation {
  unitId: string; staffQuota: number; workstationPosts: number; basis: string; base: number;
  coefficient: number; unitClass: number; classFrom: string; households: number;
}
export interface QuotaRevision {
  id: number; unitId: string; approved: number; computed: number; effectiveFrom: string;
  reason: string; approvedBy: string; recordedOn: string;
}
export interface Pay { base: number; performance: number }
export interface Transfer { fromUnit: string; toUnit: string; date: string; reason: string; by: string }
/** A community worker (社区工作者) of the registry; not the job Worker. */
export interface CommunityWorker {
  id: number; number: string; name: string; idNumber: string; phone: string; masked: boolean;
  gender: string; birthDate: string; education: string; certificates: string[];
  employment: string; post: string; grade: number; unitId: string; status: string;
  hiredOn: string; communitySince: string; yearsOfService: number; reserveCadre: boolean;
  pay: Pay | null; transfers: Transfer[];
}
export interface ListWorkersResponse { workers: CommunityWorker[]; nextPageToken: string }
export interface ImportRosterResponse { rows: number; firstWorkerId: number; lastWorkerId: number; dryRun: boolean }
export interface OccupancyFigures {
  approved: number; workstationPosts: number; occupied: number; onPost: number;
  secondedStreet: number; secondedDistrict: number; retiredInPlace: number; onLeave: number;
  vacant: number; overQuota: number; hollow: number; outsideQuota: number; dispatch: number;
}
export interface OccupancyRow {
  unitId: string; unitName: string; kind: string; depth: number; own: OccupancyFigures;
  subtree: OccupancyFigures;
}
export interface OccupancyReport { date: string; rows: OccupancyRow[] }
export interface PayByStreet {
  streetId: string; streetName: string; workers: number; average: number; min: number;
  max: number; offTable: boolean;
}
export interface PayParityRow {
  post: string; grade: number; table: number; streets: PayByStreet[]; gap: number;
  differentPay: boolean; flagged: boolean;
}
export interface PayParityReport { rows: PayParityRow[]; flagged: number; tolerance: number }
export interface WorkforceChange {
  seq: number; type: string; subject: string; unitId: string; actor: string; atMs: number;
  reason: string; data: string;
}

// Recruitment (proto/shequ/v1/recruitment.proto). Enumerated values are English ids.
export interface CampaignPost { id: string; unitId: string; post: string; count: number }
export interface Requirements {
  minAge: number; maxAge: number; minEducation: string; certificates: string[];
  otherConditions: string;
}
export interface CampaignSpec {
  id: string; streetUnitId: string; title: string; posts: CampaignPost[];
  requirements: Requirements | null; opens: string; closes: string;
}
export interface StateTime { state: string; atMs: number; msInState: number }
export interface Funnel {
  applied: number; eligible: number; examined: number; interviewed: number; notified: number;
  hired: number;
}
export interface Shortfall { postId: string; unitId: string; posts: number; eligible: number; needed: number }
export interface OpenStep {
  /** the workflow node: approve, review, shortfall, written, interview, checks, hire-failed */
  step: string; taskId: number; role: string; dueAtMs: number;
}
export interface Campaign {
  spec: CampaignSpec | null;
  state: 'draft' | 'approved' | 'published' | 'applications_closed' | 'eligibility_reviewed' |
    'written_scored' | 'shortlisted' | 'interviewed' | 'ranked' | 'checking' | 'notice' |
    'hiring' | 'done' | 'cancelled' | string;
  instanceId: number; funnel: Funnel | null; stages: StateTime[]; shortfalls: Shortfall[];
  openSteps: OpenStep[]; hiredWorkers: number[];
}
export interface Application {
  /** 报名号 */
  id: number; postId: string; name: string; idNumber: string; phone: string; education: string;
  certificates: string[]; source: string; categories: string[];
  status: 'applied' | 'ineligible' | 'eligible' | 'written_absent' | 'not_shortlisted' |
    'shortlisted' | 'interview_absent' | 'ranked' | 'selected' | 'notice' | 'hired' | 'removed' |
    'post_cancelled' | string;
  refusals: string[]; written: string; interview: string; bonus: string; bonusFor: string;
  composite: string; rank: number; physical: string; background: string; noticeUntil: string;
  removedReason: string; workerId: number; appliedAtMs: number; communitySince: string;
}
export interface CheckResponse { removedId: number; promotedId: number }
export interface Objection {
  id: number; applicationId: number; text: string; filedOn: string;
  state: 'open' | 'upheld' | 'dismissed' | string;
  decisionReason: string; instanceId: number; promotedId: number;
}

// Annual review (proto/shequ/v1/reviews.proto). Enumerated values are English ids; scores are
// decimal text ('87.5'), dates YYYY-MM-DD.
export type Rating = 'excellent' | 'competent' | 'basically_competent' | 'incompetent' | 'not_rated';
export type ReviewStep = 'report' | 'appraisal' | 'scores';
export interface Cycle {
  /** "bh.hp/2026" */
  id: string; streetUnitId: string; year: number;
  state: 'open' | 'signed_off' | 'published' | 'final' | string;
  /** the annual-review workflow */
  instanceId: number; openedAtMs: number;
  /** listed in the cycle */
  workers: number; rated: number; notRated: number; reportsDone: number; appraisalsDone: number;
  scoresDone: number; signedOffBy: string; signedOffAtMs: number; publishedOn: string;
  noticeUntil: string; appealUntil: string; appealsPending: number;
  /** final ratings by rating id, once published */
  ratings: Record<string, number>;
}
/** The appraisal's ballots counted; never who chose what. */
export interface Tally {
  ballots: number; partyMembers: number; residents: number; excellent: number; competent: number;
  basicallyCompetent: number; incompetent: number;
  /** the appraisal score (average points), '' with no ballots */
  score: string;
  /** why it does not count yet; '' when it does */
  shortfall: string; closed: boolean;
  /** 评议不合格 */
  failed: boolean;
}
export interface ReviewResult {
  appraisal: string; satisfaction: string; target: string; composite: string;
  /** the rating the composite reaches */
  byScore: Rating | string;
  /** after the overrides and the excellent cap */
  rating: Rating | string; reasons: string[]; appraisalFailed: boolean;
}
export interface Appeal {
  state: 'none' | 'filed' | 'upheld' | 'rejected' | string; filedOn: string; grounds: string;
  decidedOn: string; decision: string;
  /** when upheld */
  ratingBefore: string;
  /** the leading group's decision */
  instanceId: number;
}
export interface WorkerReview {
  cycleId: string; workerId: number;
  /** who reviews: the worker's unit, or the body served */
  unitId: string; homeUnitId: string;
  /** the home unit of a seconded worker, informed */
  informedUnitId: string;
  participation: 'rated' | 'not_rated' | string;
  /** why not rated, or reviewed elsewhere */
  reason: string; monthsOnPost: number; report: string; attachments: string[]; reportAtMs: number;
  tally: Tally | null; satisfaction: string; target: string;
  /** -1 until recorded */
  unexcusedAbsenceDays: number; graveError: string;
  stepsDone: (ReviewStep | string)[];
  /** after sign-off */
  result: ReviewResult | null; appeal: Appeal | null; final: boolean;
  /** the worker's annual-review-worker workflow */
  instanceId: number;
}
export interface ListReviewsResponse {
  reviews: WorkerReview[];
  /** 0 at the end */
  nextAfterWorkerId: number;
}
/** Names the voter (the caller) and the ballots in the box; never the choice. */
export interface BallotReceipt { cycleId: string; workerId: number; voter: string; ballots: number }
export interface CycleResult {
  workerId: number; unitId: string; participation: string; reason: string;
  result: ReviewResult | null;
  /** once final ('' before) */
  finalRating: string; appeal: string;
}
export interface CycleResults {
  cycleId: string; results: CycleResult[];
  /** -1: no cap */
  excellentPlaces: number;
}
export interface OverdueStep {
  step: 'report' | 'appraisal' | 'scores' | 'sign_off' | 'appeal' | string;
  /** 0 for the cycle's own steps */
  workerId: number; taskId: number; assignee: string; role: string; unitId: string;
  dueAtMs: number; escalated: boolean;
}
export interface ListOverdueResponse { steps: OverdueStep[]; perStep: Record<string, number> }
export interface YearRating {
  year: number; rating: Rating | string;
  /** review (with its cycle) or import */
  source: string; cycleId: string;
  /** what the personnel file records */
  entries: string[];
}
export interface WorkerHistoryResponse {
  workerId: number; years: YearRating[];
  /** competent-or-better years since the last grade step */
  qualifyingYears: number; promotionPriority: boolean;
}

/** A department plugin as Plugins/List shows it. */
export interface PluginStatus {
  name: string;
  state: 'loaded' | 'isolated' | 'restarting' | 'failed' | string;
  isolation: 'inprocess' | 'isolated' | 'remote' | string;
  /** the library path or the remote address */
  source: string; department: string; version: string; restarts: number; lastError: string;
  jobTypes: string[]; jobsCompleted: number; jobsFailed: number; jobsRunning: number;
}
// The plugin descriptor (proto/shequ/plugin/v1/plugin.proto).
export interface PluginJobType { type: string; description: string; inputs: string[]; outputs: string[] }
export interface PluginOperation { name: string; description: string }
export interface PluginField {
  id: string; label: string;
  /** text, integer, decimal, boolean, date, choice, roster */
  type: string; required: boolean; unit: string; choices: string[]; columns: PluginField[];
  description: string;
}
export interface ChecklistItem { id: string; text: string; fieldIds: string[] }
export interface ChecklistTemplate {
  id: string; title: string; frequency: string; basis: string; items: ChecklistItem[];
  fields: PluginField[];
}
export interface SignboardRequest {
  id: string; title: string; model: string; size: string; colour: string; placement: string;
  photoOnFileAcceptable: boolean; fundedBy: string;
}
export interface NotificationChannel { id: string; kind: string; description: string }
export interface PluginDescriptor {
  name: string; department: string; version: string; protocolVersion: number;
  description: string; jobTypes: PluginJobType[]; operations: PluginOperation[];
  checklists: ChecklistTemplate[]; ledgerFields: PluginField[]; signboards: SignboardRequest[];
  channels: NotificationChannel[];
}
/** plugin is empty (null) until the plugin first loaded. */
export interface DescribePluginResponse { status: PluginStatus; plugin: PluginDescriptor | null }

// Principals and API tokens (proto/shequ/v1/principals.proto).
/** A role held by a principal; expiresAtMs 0: it does not expire. */
export interface RoleGrant { role: string; expiresAtMs: number }
export interface Principal {
  /** "wang.li", "system:civil-affairs" */
  name: string; displayName: string; roles: RoleGrant[];
  /** acts for this unit and the units under it */
  unit: string;
  kind: 'person' | 'system' | string; disabled: boolean; createdAtMs: number; updatedAtMs: number;
  /** WhoAmI: how the call was authenticated */
  via: string;
}
export interface Token {
  id: string; principal: string; description: string; createdAtMs: number; expiresAtMs: number;
  /** 0: not revoked */
  revokedAtMs: number; createdBy: string; lastUsedAtMs: number;
}
/** secret: send it as `authorization: Bearer <secret>` (the client's `token`); shown only here. */
export interface CreateTokenResponse { token: Token; secret: string }
/** A role as given to Principals.put: its name, [name, expiresAtMs], or a RoleGrant. */
export type RoleInput = string | [string, number] | Partial<RoleGrant>;
export type PrincipalInput = Partial<Omit<Principal, 'roles'>> & { name: string; roles?: RoleInput[] };

/** Variables as accepted by the client: an object (sent as JSON) or JSON text. */
export type Variables = Record<string, unknown> | string | null | undefined;
export interface Paging { pageSize?: number; pageToken?: string }
export interface RequestId { requestId?: string }

// ---- errors --------------------------------------------------------------------------------

export type StatusName =
  | 'OK' | 'CANCELLED' | 'UNKNOWN' | 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED' | 'NOT_FOUND'
  | 'ALREADY_EXISTS' | 'PERMISSION_DENIED' | 'RESOURCE_EXHAUSTED' | 'FAILED_PRECONDITION'
  | 'ABORTED' | 'OUT_OF_RANGE' | 'UNIMPLEMENTED' | 'INTERNAL' | 'UNAVAILABLE' | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

/** A call the daemon (or the connection to it) refused. */
export class ShequError extends Error {
  constructor(message: string, code?: StatusName);
  readonly code: StatusName;
  readonly grpcCode: number;
}
export class InvalidArgument extends ShequError { constructor(message: string) }
export class NotFound extends ShequError { constructor(message: string) }
export class AlreadyExists extends ShequError { constructor(message: string) }
/** No token, or one the daemon refuses (expired, revoked, malformed): the message says why. */
export class Unauthenticated extends ShequError { constructor(message: string) }
export class PermissionDenied extends ShequError { constructor(message: string) }
export class FailedPrecondition extends ShequError { constructor(message: string) }
export class ResourceExhausted extends ShequError { constructor(message: string) }
export class Unavailable extends ShequError { constructor(message: string) }
export class DeadlineExceeded extends ShequError { constructor(message: string) }
export class Cancelled extends ShequError { constructor(message: string) }
/** hasToken false: the call carried no token (an UNAUTHENTICATED message then says so). */
export function fromGrpcError(err: { code?: number; details?: string; message?: string },
                              options?: { hasToken?: boolean }): ShequError;

// ---- streams -------------------------------------------------------------------------------

/** A server stream: `for await` it, or read() the next item (null once it ended). */
export class Stream<T> implements AsyncIterable<T> {
  read(options?: { timeoutMs?: number }): Promise<T | null>;
  cancel(): void;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

/** The parsed `variables` (or `data`) JSON of a message; {} when empty. */
export function variables(message: { variables?: string; data?: string }): Record<string, any>;

// ---- services ------------------------------------------------------------------------------

export class Definitions {
  deploy(yaml: string, options?: RequestId): Promise<DeployResponse>;
  get(id: string, options?: { version?: number }): Promise<Definition>;
  list(): Promise<Definition[]>;
}

export class Instances {
  start(definitionId: string, variables?: Variables,
        options?: { businessKey?: string; unit?: string; version?: number } & RequestId): Promise<StartResponse>;
  get(id: number): Promise<Instance>;
  list(filter?: { definitionId?: string; state?: string; businessKey?: string; unit?: string } & Paging): Promise<ListInstancesResponse>;
  cancel(id: number, reason?: string, options?: RequestId): Promise<void>;
  publishMessage(name: string, correlation: string, variables?: Variables,
                 options?: { ttlMs?: number } & RequestId): Promise<PublishMessageResponse>;
  watch(instanceId?: number, options?: { afterSeq?: number }): Stream<Event>;
  history(instanceId: number, options?: { afterSeq?: number; limit?: number }): Promise<Event[]>;
  waitEnded(instanceId: number, options?: { timeoutMs?: number }): Promise<Instance>;
}

export class Tasks {
  list(filter?: { role?: string; assignee?: string; unit?: string; withinUnit?: boolean; state?: string; instanceId?: number } & Paging): Promise<ListTasksResponse>;
  get(id: number): Promise<Task>;
  claim(taskId: number, options?: RequestId): Promise<Task>;
  complete(taskId: number, outcome?: string, variables?: Variables,
           options?: { comment?: string } & RequestId): Promise<Task>;
  delegate(taskId: number, to: string, options?: { comment?: string } & RequestId): Promise<Task>;
  transfer(taskId: number, to: string, options?: { comment?: string } & RequestId): Promise<Task>;
  returnTo(taskId: number, toNode: string, options?: { comment?: string } & RequestId): Promise<Task>;
}

export class Jobs {
  activate(types: string[], worker: string,
           options?: { maxJobs?: number; timeoutMs?: number; longPollMs?: number; waitForReady?: boolean }): Stream<Job>;
  complete(jobId: number, variables?: Variables, options?: { attempt?: number } & RequestId): Promise<void>;
  fail(jobId: number, error: string, options?: { retriesLeft?: number; attempt?: number } & RequestId): Promise<FailJobResponse>;
}

export class Incidents {
  list(filter?: { state?: string; instanceId?: number } & Paging): Promise<ListIncidentsResponse>;
  resolve(id: number, options?: { retries?: number; variables?: Variables } & RequestId): Promise<void>;
}

export class Notifications {
  list(filter?: { recipient?: string; role?: string; unit?: string; withinUnit?: boolean; includeAcked?: boolean } & Paging): Promise<ListNotificationsResponse>;
  subscribe(filter: { recipient?: string; roles?: string[]; unit?: string; withinUnit?: boolean }): Stream<Notification>;
  ack(id: number, options?: RequestId): Promise<void>;
}

export class Admin {
  advanceClock(by?: string, options?: { toMs?: number }): Promise<AdvanceClockResponse>;
  stats(): Promise<StatsResponse>;
}

export class Plugins {
  list(): Promise<PluginStatus[]>;
  describe(name: string): Promise<DescribePluginResponse>;
  /** input: a JSON object (or its text); resolves to the operation's output object. */
  invoke(name: string, operation: string, input?: Variables, options?: RequestId): Promise<Record<string, any>>;
}

/** Principals and their API tokens; managing them is for administrators, whoami() for anyone. */
export class Principals {
  put(principal: string | PrincipalInput, options?: { reason?: string } & RequestId): Promise<Principal>;
  list(filter?: { unit?: string; role?: string }): Promise<Principal[]>;
  /** The answer's secret is shown only here: store it now. expiresIn: a duration (P90D). */
  createToken(principal: string, options?: { description?: string; expiresIn?: string } & RequestId): Promise<CreateTokenResponse>;
  listTokens(principal?: string, options?: { includeRevoked?: boolean }): Promise<Token[]>;
  revokeToken(id: string, options?: { reason?: string } & RequestId): Promise<Token>;
  whoami(): Promise<Principal>;
}

/** Fields of a Unit or Worker as sent: any subset, nested messages as objects. */
export type UnitInput = Partial<Unit>;
export type WorkerInput = Partial<Omit<CommunityWorker, 'pay'>> & { pay?: Partial<Pay> };
export interface WorkerFilter {
  unitId?: string; status?: string; post?: string; employment?: string;
  reserveCadreOnly?: boolean; search?: string;
}

export class Workforce {
  createUnit(unit: UnitInput, options?: { reason?: string } & RequestId): Promise<Unit>;
  updateUnit(unit: UnitInput, options?: { reason?: string } & RequestId): Promise<Unit>;
  getUnit(id: string): Promise<Unit>;
  unitTree(rootId?: string): Promise<Unit[]>;
  computeQuota(unitId: string): Promise<QuotaComputation>;
  reviseQuota(unitId: string, approved: number, effectiveFrom: string, reason: string,
              options?: { approvalDocument?: string } & RequestId): Promise<QuotaRevision>;
  quotaHistory(unitId: string): Promise<QuotaRevision[]>;
  createWorker(worker: WorkerInput, options?: RequestId): Promise<CommunityWorker>;
  /** The keys of `changes` are the update mask. */
  updateWorker(workerId: number, changes: WorkerInput, options?: { reason?: string } & RequestId): Promise<CommunityWorker>;
  getWorker(id: number): Promise<CommunityWorker>;
  listWorkers(filter?: WorkerFilter & Paging): Promise<ListWorkersResponse>;
  allWorkers(filter?: WorkerFilter & { pageSize?: number }): AsyncGenerator<CommunityWorker, void, void>;
  transferWorker(workerId: number, toUnit: string, reason: string,
                 options?: { date?: string } & RequestId): Promise<CommunityWorker>;
  changeStatus(workerId: number, status: string, reason: string,
               options?: { date?: string } & RequestId): Promise<CommunityWorker>;
  convertDispatch(workerId: number, reason?: string, options?: { date?: string } & RequestId): Promise<CommunityWorker>;
  /** roster: the CSV bytes, or a file path. */
  importRoster(roster: Uint8Array | string,
               options?: { dryRun?: boolean; chunkSize?: number; timeoutMs?: number;
                           onProgress?: (sent: number, total: number) => void } & RequestId): Promise<ImportRosterResponse>;
  export(what?: 'roster' | 'occupancy' | 'pay_parity' | string, options?: { unitId?: string }): Promise<string>;
  occupancy(options?: { unitId?: string; date?: string }): Promise<OccupancyReport>;
  payParity(): Promise<PayParityReport>;
  history(filter: { workerId?: number; unitId?: string; afterSeq?: number; limit?: number }): Promise<WorkforceChange[]>;
}

/** Fields of a campaign or an application as sent: any subset, nested messages as objects. */
export type CampaignInput = Partial<Omit<CampaignSpec, 'posts' | 'requirements'>> & {
  posts?: Partial<CampaignPost>[]; requirements?: Partial<Requirements>;
};
export type ApplicationInput = Partial<Application>;
export interface PostCount { postId: string; count: number }
export interface StepOptions extends RequestId { comment?: string }

export class Recruitment {
  createCampaign(campaign: CampaignInput, options?: RequestId): Promise<Campaign>;
  getCampaign(id: string): Promise<Campaign>;
  listCampaigns(filter?: { streetUnitId?: string; state?: string }): Promise<Campaign[]>;
  approveCampaign(campaignId: string, outcome?: 'approved' | 'rejected' | string, options?: StepOptions): Promise<Campaign>;
  /** Resolves to the application id (报名号). */
  apply(campaignId: string, application: ApplicationInput, options?: RequestId): Promise<number>;
  listApplications(campaignId: string, filter?: { postId?: string; status?: string; afterId?: number; limit?: number }): Promise<Application[]>;
  reviewApplication(campaignId: string, applicationId: number, eligible: boolean, reason?: string,
                    options?: RequestId): Promise<Application>;
  finishReview(campaignId: string, options?: StepOptions): Promise<Campaign>;
  /** cut: post id → count left (0 drops it), or a list of PostCount. */
  decideShortfall(campaignId: string, options?: { cut?: Record<string, number> | PostCount[]; extendUntil?: string } & StepOptions): Promise<Campaign>;
  /** csv: the text, its bytes, or { path } of a file; resolves to the rows imported. */
  importScores(campaignId: string, csv: string | Uint8Array | { path: string }, options?: RequestId): Promise<number>;
  shortlist(campaignId: string, options?: StepOptions): Promise<Campaign>;
  rank(campaignId: string, options?: StepOptions): Promise<Campaign>;
  /** Best first. */
  getRanking(campaignId: string, postId?: string): Promise<Application[]>;
  recordCheck(campaignId: string, applicationId: number, kind: 'physical' | 'background' | string,
              passed: boolean, reason?: string, options?: RequestId): Promise<CheckResponse>;
  withdraw(campaignId: string, applicationId: number, reason: string, options?: RequestId): Promise<CheckResponse>;
  startNotice(campaignId: string, options?: StepOptions): Promise<Campaign>;
  fileObjection(campaignId: string, applicationId: number, text: string, options?: RequestId): Promise<Objection>;
  decideObjection(campaignId: string, objectionId: number, upheld: boolean, reason: string,
                  options?: RequestId): Promise<Objection>;
}

export class Reviews {
  /** AlreadyExists when the cycle exists. */
  openCycle(streetUnitId: string, year: number, options?: RequestId): Promise<Cycle>;
  getCycle(cycleId: string): Promise<Cycle>;
  listCycles(filter?: { streetUnitId?: string; year?: number }): Promise<Cycle[]>;
  getReview(cycleId: string, workerId: number): Promise<WorkerReview>;
  listReviews(cycleId: string, filter?: { unitId?: string; afterWorkerId?: number; limit?: number }): Promise<ListReviewsResponse>;
  allReviews(cycleId: string, filter?: { unitId?: string; limit?: number }): AsyncGenerator<WorkerReview, void, void>;
  submitReport(cycleId: string, workerId: number, text: string, attachments?: string[],
               options?: RequestId): Promise<WorkerReview>;
  /** A second ballot by the same voter rejects with AlreadyExists. */
  castBallot(cycleId: string, workerId: number, choice: Rating | string, options?: RequestId): Promise<BallotReceipt>;
  /** Fields left out (or '' for the scores) stay as they were; graveError '' clears it. */
  recordScores(cycleId: string, workerId: number,
               scores?: { satisfaction?: string; target?: string; unexcusedAbsenceDays?: number;
                          graveError?: string } & RequestId): Promise<WorkerReview>;
  finishStep(cycleId: string, workerId: number, step: ReviewStep | string, options?: StepOptions): Promise<WorkerReview>;
  calibrate(cycleId: string): Promise<CycleResults>;
  signOff(cycleId: string, options?: StepOptions): Promise<Cycle>;
  getResults(cycleId: string): Promise<CycleResults>;
  /** Resolves to the CSV text. */
  exportResults(cycleId: string): Promise<string>;
  fileAppeal(cycleId: string, workerId: number, grounds: string, options?: RequestId): Promise<WorkerReview>;
  /** rating: the new rating when upheld. */
  decideAppeal(cycleId: string, workerId: number, upheld: boolean, reasons: string,
               options?: { rating?: Rating | string } & RequestId): Promise<WorkerReview>;
  listOverdue(cycleId: string): Promise<ListOverdueResponse>;
  workerHistory(workerId: number): Promise<WorkerHistoryResponse>;
  /** csv: the text ('worker_id,year,rating'), its bytes, or { path } of a file; resolves to the
   * rows imported. */
  importRatings(csv: string | Uint8Array | { path: string }, options?: RequestId): Promise<number>;
}

// ---- client and worker ---------------------------------------------------------------------

export interface Identity {
  /** The API token, sent as `authorization: Bearer <token>` with every call. Client: undefined
   * reads $SHEQU_TOKEN; asCaller: none unless given. */
  token?: string;
  /** Development mode only (`auth: headers`): x-shequ-user */
  user?: string;
  /** Development mode only: x-shequ-roles (an array is sent comma-separated) */
  roles?: string[] | string;
  /** Development mode only: x-shequ-unit */
  unit?: string;
}

/** TLS settings; each file option defaults to $SHEQU_CA, $SHEQU_CERT, $SHEQU_KEY, and
 * serverName to $SHEQU_SERVER_NAME. */
export interface TlsOptions {
  /** undefined: TLS when another TLS option is given or the address is not loopback */
  tls?: boolean;
  /** PEM file of the CA that signed the daemon's certificate (default: the system's roots) */
  caFile?: string;
  /** mTLS: the client certificate and its key (PEM files) */
  certFile?: string;
  keyFile?: string;
  /** the name the daemon's certificate must carry, when not the address's host */
  serverName?: string;
}

export class Client {
  /** Unary calls time out after timeoutMs (default 30 s); streams never. */
  constructor(address?: string, options?: Identity & TlsOptions & { timeoutMs?: number });
  readonly address: string;
  readonly token: string;
  /** Whether the connection uses TLS. */
  readonly tls: boolean;
  timeoutMs: number;
  readonly definitions: Definitions;
  readonly instances: Instances;
  readonly tasks: Tasks;
  readonly jobs: Jobs;
  readonly incidents: Incidents;
  readonly notifications: Notifications;
  readonly admin: Admin;
  readonly workforce: Workforce;
  readonly plugins: Plugins;
  readonly recruitment: Recruitment;
  readonly reviews: Reviews;
  readonly principals: Principals;
  /** The same connection, speaking as someone else (another token). */
  asCaller(identity: Identity): Client;
  worker(name: string, options?: WorkerOptions): Worker;
  waitReady(timeoutMs?: number): Promise<void>;
  close(): void;
}

export class JobError extends Error {
  constructor(message: string, options?: { retriesLeft?: number });
  readonly retriesLeft: number;
}

export class ActiveJob {
  readonly message: Job;
  readonly id: number;
  readonly type: string;
  readonly instanceId: number;
  readonly nodeId: string;
  readonly definitionId: string;
  readonly attempt: number;
  readonly retriesLeft: number;
  readonly deadlineMs: number;
  readonly variables: Record<string, any>;
  /** Resolves true once the daemon accepted it, false if the job was no longer ours. */
  complete(variables?: Variables): Promise<boolean>;
  fail(error: string, options?: { retriesLeft?: number }): Promise<boolean>;
}

export interface WorkerOptions {
  /** handlers running at once (4) */
  concurrency?: number;
  /** each job's lock; 0 = the daemon's default (5 minutes) */
  timeoutMs?: number;
  /** first and longest wait between reconnection attempts (100 ms, 5 s) */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** how long stop() keeps retrying to report results of handlers that ran (10 s) */
  graceMs?: number;
}

export type Handler = (job: ActiveJob) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

export class Worker {
  constructor(client: Client, name: string, options?: WorkerOptions);
  readonly client: Client;
  readonly name: string;
  readonly completed: number;
  readonly failed: number;
  readonly lost: number;
  readonly reconnects: number;
  readonly reportRetries: number;
  readonly stopping: boolean;
  handle(type: string, fn: Handler): this;
  /** Jobs until stop(), reconnecting by itself; report each with complete() or fail(). */
  jobs(types?: string[]): AsyncGenerator<ActiveJob, void, void>;
  run(): Promise<void>;
  stop(): Promise<void>;
}
