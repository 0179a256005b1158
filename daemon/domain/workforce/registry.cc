#include "daemon/domain/workforce/registry.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <unordered_set>
#include <utility>

#include "daemon/core/status.h"
#include "daemon/domain/workforce/roster.h"

namespace shequ::domain::workforce {
namespace {

using nlohmann::json;

std::string S(std::string_view s) { return std::string(s); }
std::string N(int64_t v) { return std::to_string(v); }

absl::Status Invalid(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(S(field) + ": " + S(what));
}
absl::Status Refused(std::string_view field, std::string_view what) {
  return absl::FailedPreconditionError(S(field) + ": " + S(what));
}

absl::Status CheckDate(std::string_view date, std::string_view field) {
  if (!IsValidDate(date)) return Invalid(field, "'" + S(date) + "' is not a date (YYYY-MM-DD)");
  return absl::OkStatus();
}

std::string Trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return S(s);
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// A community hangs off a street-level unit, a street-level unit off the district.
bool ParentFits(UnitKind child, UnitKind parent) {
  if (child == UnitKind::kCommunity) return IsStreetLevel(parent);
  if (IsStreetLevel(child)) return parent == UnitKind::kDistrict;
  return false;
}

bool OccupiesStatus(WorkerStatus s) { return s != WorkerStatus::kLeft; }

std::string PostRange(const PostDef& p) {
  return p.id + "'s range " + N(p.min_grade) + "–" + N(p.max_grade);
}

// "row 57 (line 58), column 等级 (grade): …" from "worker.grade: …".
absl::Status AtRow(const RosterRow& row, const absl::Status& s) {
  std::string msg(s.message());
  std::string where = "row " + N(row.row) + " (line " + N(row.line) + ")";
  const size_t colon = msg.find(": ");
  if (colon != std::string::npos) {
    const std::string_view column = RosterColumnForField(std::string_view(msg).substr(0, colon));
    if (!column.empty()) {
      where += ", column " + S(column);
      msg = msg.substr(colon + 2);
    }
  }
  return absl::Status(s.code(), where + ": " + msg);
}

json UnitJson(const Unit& u) { return json(u); }

// One worker's new record and its audit entry: what a change to one worker amounts to.
// An erased worker's record stays for the statistics only.
absl::Status NotErased(const Worker& w) {
  if (w.personal.erased_on.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError("worker " + N(w.id) + ": personal data erased on " +
                                       w.personal.erased_on +
                                       "; the record is kept for statistics only");
}

Change WorkerChange(const Worker& w, std::string unit_id, std::string type, json data) {
  Change change;
  change.workers.push_back(w);
  change.audit.push_back(
      {"worker:" + N(w.id), std::move(unit_id), std::move(type), std::move(data)});
  return change;
}

}  // namespace

void OccupancyFigures::Add(const OccupancyFigures& o) {
  approved += o.approved;
  workstation_posts += o.workstation_posts;
  occupied += o.occupied;
  on_post += o.on_post;
  seconded_street += o.seconded_street;
  seconded_district += o.seconded_district;
  retired_in_place += o.retired_in_place;
  on_leave += o.on_leave;
  reserved += o.reserved;
  vacant += o.vacant;
  over_quota += o.over_quota;
  hollow += o.hollow;
  outside_quota += o.outside_quota;
  dispatch += o.dispatch;
}

Registry::Registry(QuotaPolicy quota, GradePolicy grades)
    : quota_(std::move(quota)), grades_(std::move(grades)) {}

// ---------------------------------------------------------------- loading and policy

absl::Status Registry::Load(std::vector<Unit> units, std::vector<QuotaRevision> revisions,
                            std::vector<Worker> workers) {
  return Load(std::move(units), std::move(revisions), std::move(workers), {});
}

absl::Status Registry::Load(std::vector<Unit> units, std::vector<QuotaRevision> revisions,
                            std::vector<Worker> workers, std::vector<Reservation> reservations) {
  // Built aside and swapped in, so a refused load leaves the registry as it was.
  Registry fresh(quota_, grades_);
  for (Unit& u : units) {
    const std::string id = u.id;
    if (u.parent_id.empty()) {
      if (!fresh.root_id_.empty()) {
        return absl::InvalidArgumentError("load: units " + fresh.root_id_ + " and " + id +
                                          " both have no parent");
      }
      fresh.root_id_ = id;
    }
    UnitNode node;
    node.unit = std::move(u);
    if (!fresh.units_.emplace(id, std::move(node)).second) {
      return absl::InvalidArgumentError("load: unit " + id + " appears twice");
    }
  }
  for (auto& [id, node] : fresh.units_) {
    if (node.unit.parent_id.empty()) continue;
    UnitNode* parent = fresh.FindUnit(node.unit.parent_id);
    if (!parent) {
      return absl::InvalidArgumentError("load: unit " + id + ": parent " + node.unit.parent_id +
                                        " is missing");
    }
    parent->children.push_back(id);  // units_ iterates in id order, so children stay sorted
  }
  std::set<int64_t> revision_ids;
  for (QuotaRevision& r : revisions) {
    UnitNode* node = fresh.FindUnit(r.unit_id);
    if (!node) {
      return absl::InvalidArgumentError("load: quota revision " + N(r.id) + ": unit " + r.unit_id +
                                        " is missing");
    }
    if (!revision_ids.insert(r.id).second) {
      return absl::InvalidArgumentError("load: quota revision " + N(r.id) + " appears twice");
    }
    fresh.next_revision_id_ = std::max(fresh.next_revision_id_, r.id + 1);
    node->revisions.push_back(std::move(r));
  }
  for (auto& [id, node] : fresh.units_) {
    std::sort(node.revisions.begin(), node.revisions.end(),
              [](const QuotaRevision& a, const QuotaRevision& b) {
                return std::tie(a.effective_from, a.id) < std::tie(b.effective_from, b.id);
              });
  }
  fresh.held_id_numbers_.reserve(workers.size());
  for (Worker& w : workers) {
    if (!fresh.FindUnit(w.unit_id)) {
      return absl::InvalidArgumentError("load: worker " + N(w.id) + ": unit " + w.unit_id +
                                        " is missing");
    }
    if (fresh.workers_.count(w.id)) {
      return absl::InvalidArgumentError("load: worker " + N(w.id) + " appears twice");
    }
    if (w.birth_date.empty()) {
      w.birth_date = BirthDateOf(w.personal.id_number);
      w.gender = GenderOf(w.personal.id_number);
    }
    fresh.next_worker_id_ = std::max(fresh.next_worker_id_, w.id + 1);
    fresh.InsertWorker(std::move(w));
  }
  for (Reservation& r : reservations) {
    const std::string what = "load: reservation of campaign " + r.campaign_id + " at " + r.unit_id;
    UnitNode* node = fresh.FindUnit(r.unit_id);
    if (!node) return absl::InvalidArgumentError(what + ": unit is missing");
    if (r.posts < 0 || r.hired < 0 || r.released < 0) {
      return absl::InvalidArgumentError(what + ": negative count");
    }
    node->reserved += r.posts;
    const std::string campaign = r.campaign_id;
    if (!node->reservations.emplace(campaign, std::move(r)).second) {
      return absl::InvalidArgumentError(what + " appears twice");
    }
  }
  *this = std::move(fresh);
  return absl::OkStatus();
}

void Registry::Reserve(size_t workers) {
  held_id_numbers_.reserve(held_id_numbers_.size() + workers);
}

std::vector<int64_t> Registry::ReplacePolicies(QuotaPolicy quota, GradePolicy grades) {
  quota_ = std::move(quota);
  grades_ = std::move(grades);
  std::vector<int64_t> misfits;
  for (const auto& [id, w] : workers_) {
    if (!OccupiesStatus(w.status)) continue;
    const PostDef* post = grades_.FindPost(w.post);
    if (!post || w.grade < post->min_grade || w.grade > post->max_grade) misfits.push_back(id);
  }
  return misfits;
}

// ---------------------------------------------------------------- units

const Registry::UnitNode* Registry::FindUnit(std::string_view id) const {
  auto it = units_.find(id);
  return it == units_.end() ? nullptr : &it->second;
}

Registry::UnitNode* Registry::FindUnit(std::string_view id) {
  auto it = units_.find(id);
  return it == units_.end() ? nullptr : &it->second;
}

absl::Status Registry::ValidateUnit(const Unit& u, bool creating) const {
  if (u.id.empty() || u.id.size() > 64) return Invalid("unit.id", "must be 1–64 characters");
  for (char c : u.id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-')) {
      return Invalid("unit.id", "'" + u.id + "' may hold only letters, digits, '.', '_' and '-'");
    }
  }
  if (Trimmed(u.name).empty()) return Invalid("unit.name", "required");
  if (HasControl(u.name)) return Invalid("unit.name", "holds control characters");
  if (u.kind == UnitKind::kDistrict) {
    if (!u.parent_id.empty()) {
      return Invalid("unit.parent_id", "the district is the root of the tree and has no parent");
    }
    if (creating && !root_id_.empty()) {
      return Refused("unit.kind", "the tree already has its district root " + root_id_);
    }
  } else {
    if (u.parent_id.empty()) {
      return Invalid("unit.parent_id", "required for a " + S(EnglishName(u.kind)));
    }
    const UnitNode* parent = FindUnit(u.parent_id);
    if (!parent) return absl::NotFoundError("unit.parent_id: unit " + u.parent_id + " not found");
    if (!ParentFits(u.kind, parent->unit.kind)) {
      return Invalid("unit.parent_id",
                     u.kind == UnitKind::kCommunity
                         ? "a community's parent must be a street, town or large community; " +
                               u.parent_id + " is a " + S(EnglishName(parent->unit.kind))
                         : "a " + S(EnglishName(u.kind)) + "'s parent must be the district; " +
                               u.parent_id + " is a " + S(EnglishName(parent->unit.kind)));
    }
    // Levels make a cycle impossible, but walk up anyway: cheap, and it states the invariant.
    for (const UnitNode* p = parent; p; p = FindUnit(p->unit.parent_id)) {
      if (p->unit.id == u.id) return Invalid("unit.parent_id", "would make a cycle");
      if (p->unit.parent_id.empty()) break;
    }
  }
  if (u.kind == UnitKind::kCommunity && u.community_type == CommunityType::kNone) {
    return Invalid("unit.community_type",
                   "required for a community (" + EnumChoices<CommunityType>() + ")");
  }
  if (u.kind != UnitKind::kCommunity && u.community_type != CommunityType::kNone) {
    return Invalid("unit.community_type", "only communities have a community type");
  }
  if (u.households < 0) return Invalid("unit.households", "must be ≥ 0");
  if (u.residents < 0) return Invalid("unit.residents", "must be ≥ 0");
  if (!std::isfinite(u.area_km2) || u.area_km2 < 0) return Invalid("unit.area_km2", "must be ≥ 0");
  if (u.unit_class < 0 || u.unit_class > 3) {
    return Invalid("unit.class", N(u.unit_class) + " is not 1, 2 or 3 (0: inherit)");
  }
  return absl::OkStatus();
}

absl::StatusOr<Change> Registry::CreateUnit(Unit unit, std::string_view today) {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  unit.created = unit.updated = S(today);
  RETURN_IF_ERROR(ValidateUnit(unit, /*creating=*/true));
  if (FindUnit(unit.id)) return absl::AlreadyExistsError("unit.id: " + unit.id + " already exists");

  UnitNode node;
  node.unit = unit;
  units_.emplace(unit.id, std::move(node));
  if (unit.kind == UnitKind::kDistrict) {
    root_id_ = unit.id;
  } else {
    auto& siblings = FindUnit(unit.parent_id)->children;
    siblings.insert(std::upper_bound(siblings.begin(), siblings.end(), unit.id), unit.id);
  }
  Change change;
  change.units.push_back(unit);
  change.audit.push_back({"unit:" + unit.id, unit.id, "unit.created", {{"unit", UnitJson(unit)}}});
  return change;
}

absl::StatusOr<Change> Registry::UpdateUnit(std::string_view id, const UnitPatch& patch,
                                            std::string_view today) {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  UnitNode* node = FindUnit(id);
  if (!node) return absl::NotFoundError("unit " + S(id) + " not found");
  const Unit before = node->unit;
  Unit u = before;
  if (patch.name) u.name = *patch.name;
  if (patch.parent_id) u.parent_id = *patch.parent_id;
  if (patch.kind) u.kind = *patch.kind;
  if (patch.community_type) u.community_type = *patch.community_type;
  if (patch.households) u.households = *patch.households;
  if (patch.residents) u.residents = *patch.residents;
  if (patch.area_km2) u.area_km2 = *patch.area_km2;
  if (patch.unit_class) u.unit_class = *patch.unit_class;
  if ((u.kind == UnitKind::kDistrict) != (before.kind == UnitKind::kDistrict)) {
    return Refused("unit.kind", "the district root keeps its kind and no other unit becomes one");
  }
  RETURN_IF_ERROR(ValidateUnit(u, /*creating=*/false));
  for (const std::string& child : node->children) {
    const UnitKind ck = FindUnit(child)->unit.kind;
    if (!ParentFits(ck, u.kind)) {
      return Refused("unit.kind", "child " + child + " (a " + S(EnglishName(ck)) +
                                      ") cannot hang off a " + S(EnglishName(u.kind)));
    }
  }
  if (u.kind == UnitKind::kDistrict) {
    bool has_workers = false;
    for (const auto& row : node->counts) {
      for (int64_t n : row) has_workers |= n > 0;
    }
    if (has_workers) return Refused("unit.kind", "workers are placed here");
  }

  json changed = json::object();
  const json jb = UnitJson(before);
  u.updated = S(today);
  const json ja = UnitJson(u);
  for (auto it = ja.begin(); it != ja.end(); ++it) {
    if (it.key() == "updated") continue;
    if (!jb.contains(it.key()) || jb[it.key()] != it.value()) {
      changed[it.key()] = {{"from", jb.value(it.key(), json())}, {"to", it.value()}};
    }
  }
  if (jb.contains("community_type") && !ja.contains("community_type")) {
    changed["community_type"] = {{"from", jb["community_type"]}, {"to", nullptr}};
  }

  if (u.parent_id != before.parent_id) {
    auto& old_siblings = FindUnit(before.parent_id)->children;
    old_siblings.erase(std::find(old_siblings.begin(), old_siblings.end(), u.id));
    auto& siblings = FindUnit(u.parent_id)->children;
    siblings.insert(std::upper_bound(siblings.begin(), siblings.end(), u.id), u.id);
  }
  node->unit = u;
  Change change;
  change.units.push_back(u);
  change.audit.push_back({"unit:" + u.id, u.id, "unit.updated", {{"changed", changed}}});
  return change;
}

absl::StatusOr<Unit> Registry::GetUnit(std::string_view id) const {
  const UnitNode* node = FindUnit(id);
  if (!node) return absl::NotFoundError("unit " + S(id) + " not found");
  return node->unit;
}

std::vector<Unit> Registry::Children(std::string_view id) const {
  std::vector<Unit> out;
  if (const UnitNode* node = FindUnit(id)) {
    for (const std::string& c : node->children) out.push_back(FindUnit(c)->unit);
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<Unit, int>>> Registry::Tree(std::string_view root_id) const {
  const std::string root = root_id.empty() ? root_id_ : S(root_id);
  const UnitNode* node = FindUnit(root);
  if (!node) return absl::NotFoundError("unit " + (root.empty() ? "(root)" : root) + " not found");
  std::vector<std::pair<Unit, int>> out;
  std::vector<std::pair<const UnitNode*, int>> stack{{node, 0}};
  while (!stack.empty()) {
    auto [n, depth] = stack.back();
    stack.pop_back();
    out.emplace_back(n->unit, depth);
    for (auto it = n->children.rbegin(); it != n->children.rend(); ++it) {
      stack.emplace_back(FindUnit(*it), depth + 1);
    }
  }
  return out;
}

std::string Registry::StreetOf(std::string_view unit_id) const {
  for (const UnitNode* n = FindUnit(unit_id); n; n = FindUnit(n->unit.parent_id)) {
    if (IsStreetLevel(n->unit.kind)) return n->unit.id;
    if (n->unit.parent_id.empty()) break;
  }
  return "";
}

bool Registry::Covers(std::string_view scope_id, std::string_view unit_id) const {
  if (scope_id.empty()) return false;
  for (const UnitNode* n = FindUnit(unit_id); n; n = FindUnit(n->unit.parent_id)) {
    if (n->unit.id == scope_id) return true;
    if (n->unit.parent_id.empty()) break;
  }
  return false;
}

void Registry::CollectSubtree(const std::string& id, std::vector<const UnitNode*>* out) const {
  const UnitNode* node = FindUnit(id);
  if (!node) return;
  out->push_back(node);
  for (const std::string& c : node->children) CollectSubtree(c, out);
}

// ---------------------------------------------------------------- quota

absl::StatusOr<QuotaComputation> Registry::ComputeQuota(std::string_view unit_id) const {
  const UnitNode* node = FindUnit(unit_id);
  if (!node) return absl::NotFoundError("unit " + S(unit_id) + " not found");
  const Unit& u = node->unit;
  QuotaComputation q;
  q.unit_id = u.id;
  if (u.kind == UnitKind::kDistrict) {
    return Refused("unit.kind", "the district has no base of its own; its total is its units'");
  }
  q.base_key = u.kind == UnitKind::kCommunity ? S(EnglishName(u.community_type)) : "street_organ";
  auto base = quota_.bases.find(q.base_key);
  if (base == quota_.bases.end()) {
    return Refused("unit.community_type", "the quota policy has no base for " + q.base_key);
  }
  q.base = base->second;
  for (const UnitNode* n = node; n; n = FindUnit(n->unit.parent_id)) {
    if (n->unit.unit_class > 0) {
      q.unit_class = n->unit.unit_class;
      q.class_source = n->unit.id;
      break;
    }
    if (n->unit.parent_id.empty()) break;
  }
  if (q.unit_class == 0) {
    return Refused("unit.class", "neither " + u.id + " nor a unit above it has a class (1–3)");
  }
  q.coefficient = quota_.class_coefficients[q.unit_class];
  q.staff_quota = static_cast<int>(RoundBy(q.base * q.coefficient, quota_.rounding));
  if (u.kind == UnitKind::kCommunity) {
    q.households = u.households;
    q.workstation_posts = quota_.WorkstationPosts(u.households);
  }
  return q;
}

int Registry::ApprovedOn(const UnitNode& node, std::string_view date) const {
  // Revisions are sorted by (effective_from, id): the last one on or before `date` rules.
  auto it = std::upper_bound(
      node.revisions.begin(), node.revisions.end(), date,
      [](std::string_view d, const QuotaRevision& r) { return d < r.effective_from; });
  return it == node.revisions.begin() ? 0 : std::prev(it)->approved;
}

absl::StatusOr<int> Registry::ApprovedQuota(std::string_view unit_id, std::string_view date) const {
  RETURN_IF_ERROR(CheckDate(date, "date"));
  const UnitNode* node = FindUnit(unit_id);
  if (!node) return absl::NotFoundError("unit " + S(unit_id) + " not found");
  return ApprovedOn(*node, date);
}

absl::StatusOr<Change> Registry::ReviseQuota(std::string_view unit_id, int approved,
                                             std::string_view effective_from,
                                             std::string_view reason, std::string_view approved_by,
                                             std::string_view recorded_at,
                                             std::string_view approval_document) {
  UnitNode* node = FindUnit(unit_id);
  if (!node) return absl::NotFoundError("unit_id: unit " + S(unit_id) + " not found");
  if (!IsWorkplace(node->unit.kind)) {
    return Invalid("unit_id", S(unit_id) + " is the district root, which has no quota of its own");
  }
  if (approved < 0) return Invalid("approved", N(approved) + " must be ≥ 0");
  RETURN_IF_ERROR(CheckDate(effective_from, "effective_from"));
  if (Trimmed(reason).empty()) return Invalid("reason", "required: a quota change states why");
  if (Trimmed(approved_by).empty()) return Invalid("approved_by", "required");

  QuotaRevision r;
  r.id = next_revision_id_++;
  r.unit_id = S(unit_id);
  r.approved = approved;
  if (auto q = ComputeQuota(unit_id); q.ok()) r.computed = q->staff_quota;
  r.effective_from = S(effective_from);
  r.reason = Trimmed(reason);
  r.approved_by = Trimmed(approved_by);
  r.recorded_at = S(recorded_at);
  r.approval_document = Trimmed(approval_document);
  const int previous = ApprovedOn(*node, effective_from);
  auto pos =
      std::upper_bound(node->revisions.begin(), node->revisions.end(), r,
                       [](const QuotaRevision& a, const QuotaRevision& b) {
                         return std::tie(a.effective_from, a.id) < std::tie(b.effective_from, b.id);
                       });
  node->revisions.insert(pos, r);

  Change change;
  change.revisions.push_back(r);
  json data = r;
  data["previous"] = previous;
  data["occupied"] = Occupied(*node);
  change.audit.push_back({"unit:" + r.unit_id, r.unit_id, "quota.revised", std::move(data)});
  return change;
}

absl::StatusOr<std::vector<QuotaRevision>> Registry::QuotaHistory(std::string_view unit_id) const {
  const UnitNode* node = FindUnit(unit_id);
  if (!node) return absl::NotFoundError("unit " + S(unit_id) + " not found");
  return node->revisions;
}

std::vector<ReviewDue> Registry::ReviewsDue(std::string_view today) const {
  std::vector<ReviewDue> out;
  for (const auto& [id, node] : units_) {
    if (!IsWorkplace(node.unit.kind)) continue;
    if (node.revisions.empty()) {
      out.push_back({id, "", node.unit.created});
      continue;
    }
    const std::string& last = node.revisions.back().effective_from;
    std::string due = AddYears(last, quota_.review_years);
    if (due <= today) out.push_back({id, last, std::move(due)});
  }
  return out;
}

int64_t Registry::Occupied(const UnitNode& node) const {
  int64_t n = 0;
  for (int e = 0; e < kEmploymentCount; ++e) {
    if (!quota_.in_quota[e]) continue;
    for (int s = 0; s < kStatusCount; ++s) {
      if (OccupiesStatus(static_cast<WorkerStatus>(s))) n += node.counts[e][s];
    }
  }
  return n;
}

absl::Status Registry::CheckQuotaRoom(const UnitNode& node, std::string_view date, int64_t extra,
                                      std::string_view field) const {
  const int approved = ApprovedOn(node, date);
  const int64_t occupied = Occupied(node);
  const int64_t reserved = node.reserved;
  if (occupied + reserved + extra > approved) {
    std::string msg = "unit " + node.unit.id + " (" + node.unit.name +
                      ") has no free quota post: approved " + N(approved) + " on " + S(date) +
                      ", occupied " + N(occupied + extra - 1);
    // Posts held for open recruitment count as taken (the message says so, or the refusal of
    // a unit that looks vacant would puzzle).
    if (reserved > 0) msg += ", reserved " + N(reserved) + " for recruitment";
    return Refused(field, msg);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- quota reservations

absl::Status Registry::ValidateCampaignId(std::string_view id) const {
  if (id.empty() || id.size() > 64) return Invalid("campaign_id", "must be 1–64 characters");
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-')) {
      return Invalid("campaign_id", "may hold only letters, digits, '.', '_' and '-'");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Change> Registry::ReserveQuota(std::string_view campaign_id,
                                              std::string_view unit_id, int posts,
                                              std::string_view date) {
  return ReserveQuotas(campaign_id, {{S(unit_id), posts}}, date);
}

absl::StatusOr<Change> Registry::ReserveQuotas(
    std::string_view campaign_id, const std::vector<std::pair<std::string, int>>& posts,
    std::string_view date) {
  RETURN_IF_ERROR(ValidateCampaignId(campaign_id));
  RETURN_IF_ERROR(CheckDate(date, "date"));
  if (posts.empty()) return Invalid("posts", "at least one unit");
  std::map<std::string, int64_t> by_unit;
  for (const auto& [unit_id, n] : posts) {
    if (n <= 0) return Invalid("posts", "unit " + unit_id + ": " + N(n) + " must be > 0");
    by_unit[unit_id] += n;
  }
  // Every unit is checked before any is touched.
  for (const auto& [unit_id, n] : by_unit) {
    RETURN_IF_ERROR(CheckWorkplace(unit_id, "unit_id"));
    const UnitNode& node = *FindUnit(unit_id);
    if (auto it = node.reservations.find(campaign_id);
        it != node.reservations.end() && it->second.posts > 0) {
      return absl::AlreadyExistsError("unit_id: campaign " + S(campaign_id) + " already reserves " +
                                      N(it->second.posts) + " posts at unit " + unit_id +
                                      "; release them to change the count");
    }
    const int approved = ApprovedOn(node, date);
    const int64_t occupied = Occupied(node);
    if (occupied + node.reserved + n > approved) {
      const int64_t vacant = std::max<int64_t>(approved - occupied - node.reserved, 0);
      return Refused("posts", "unit " + unit_id + " (" + node.unit.name + ") has " + N(vacant) +
                                  " vacant posts on " + S(date) + " (approved " + N(approved) +
                                  ", occupied " + N(occupied) + ", reserved " + N(node.reserved) +
                                  " by other campaigns); cannot reserve " + N(n));
    }
  }
  Change change;
  for (const auto& [unit_id, n] : by_unit) {
    UnitNode& node = *FindUnit(unit_id);
    Reservation& r = node.reservations[S(campaign_id)];
    r.campaign_id = S(campaign_id);
    r.unit_id = unit_id;
    r.posts = static_cast<int>(n);
    r.reserved_on = r.updated = S(date);
    node.reserved += n;
    change.reservations.push_back(r);
    change.audit.push_back({"unit:" + unit_id,
                            unit_id,
                            "quota.reserved",
                            {{"campaign_id", r.campaign_id},
                             {"posts", n},
                             {"date", S(date)},
                             {"approved", ApprovedOn(node, date)},
                             {"occupied", Occupied(node)},
                             {"reserved", node.reserved}}});
  }
  return change;
}

absl::StatusOr<Change> Registry::ReleaseReservation(std::string_view campaign_id,
                                                    std::string_view unit_id, int posts,
                                                    std::string_view date) {
  RETURN_IF_ERROR(CheckDate(date, "date"));
  UnitNode* node = FindUnit(unit_id);
  if (!node) return absl::NotFoundError("unit_id: unit " + S(unit_id) + " not found");
  auto it = node->reservations.find(campaign_id);
  if (it == node->reservations.end()) {
    return absl::NotFoundError("campaign " + S(campaign_id) + " has no reservation at unit " +
                               S(unit_id));
  }
  Reservation& r = it->second;
  if (posts <= 0 || posts > r.posts) {
    return Invalid("posts", N(posts) + " is outside 1–" + N(r.posts) + " (posts reserved by " +
                                S(campaign_id) + " at " + S(unit_id) + ")");
  }
  r.posts -= posts;
  r.released += posts;
  r.updated = S(date);
  node->reserved -= posts;
  Change change;
  change.reservations.push_back(r);
  change.audit.push_back({"unit:" + S(unit_id),
                          S(unit_id),
                          "quota.released",
                          {{"campaign_id", r.campaign_id},
                           {"posts", posts},
                           {"remaining", r.posts},
                           {"date", S(date)}}});
  return change;
}

absl::StatusOr<Change> Registry::HireReserved(std::string_view campaign_id, Worker worker,
                                              std::string_view today) {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  RETURN_IF_ERROR(ValidateCampaignId(campaign_id));
  worker.id = 0;
  worker.transfers.clear();
  worker.converted_on.clear();
  RETURN_IF_ERROR(ValidateWorkerFields(worker, today));
  if (!quota_.InQuota(worker.employment)) {
    return Invalid("worker.employment", S(EnglishName(worker.employment)) +
                                            " does not count against the quota; a recruitment "
                                            "hire fills a quota post");
  }
  if (!OccupiesStatus(worker.status)) return Invalid("worker.status", "a hire cannot have left");
  UnitNode& node = *FindUnit(worker.unit_id);
  auto it = node.reservations.find(campaign_id);
  if (it == node.reservations.end()) {
    return absl::NotFoundError("worker.unit_id: campaign " + S(campaign_id) +
                               " has no reservation at unit " + worker.unit_id);
  }
  if (it->second.posts == 0) {
    return Refused("worker.unit_id", "campaign " + S(campaign_id) +
                                         " has no reserved post left at " + worker.unit_id +
                                         " (hired " + N(it->second.hired) + ", released " +
                                         N(it->second.released) + ")");
  }
  RETURN_IF_ERROR(CheckIdNumberFree(worker.personal.id_number, 0));
  const int approved = ApprovedOn(node, today);
  const int64_t occupied = Occupied(node);
  const int64_t others = node.reserved - it->second.posts;
  if (occupied + 1 + others > approved) {
    return Refused("worker.unit_id",
                   "unit " + node.unit.id + " (" + node.unit.name + ") cannot take this hire of " +
                       "campaign " + S(campaign_id) + ": approved " + N(approved) + " on " +
                       S(today) + ", occupied " + N(occupied) + ", reserved " + N(node.reserved) +
                       " (" + N(it->second.posts) + " by this campaign); the quota changed " +
                       "after the reservation: the leading group restores it or the campaign " +
                       "cuts posts");
  }

  worker.id = NextWorkerId();
  Reservation& r = it->second;
  --r.posts;
  ++r.hired;
  r.updated = S(today);
  --node.reserved;
  Change change = WorkerChange(worker, worker.unit_id, "worker.hired",
                               {{"campaign_id", r.campaign_id},
                                {"unit_id", worker.unit_id},
                                {"post", worker.post},
                                {"grade", worker.grade},
                                {"employment", EnglishName(worker.employment)},
                                {"hired_on", worker.hired_on},
                                {"reserved_left", r.posts}});
  change.reservations.push_back(r);
  InsertWorker(std::move(worker));
  return change;
}

absl::StatusOr<std::vector<Reservation>> Registry::Reservations(std::string_view unit_id) const {
  const UnitNode* node = FindUnit(unit_id);
  if (!node) return absl::NotFoundError("unit " + S(unit_id) + " not found");
  std::vector<Reservation> out;
  for (const auto& [campaign, r] : node->reservations) out.push_back(r);
  return out;
}

std::vector<Reservation> Registry::CampaignReservations(std::string_view campaign_id) const {
  std::vector<Reservation> out;
  for (const auto& [id, node] : units_) {
    if (auto it = node.reservations.find(campaign_id); it != node.reservations.end()) {
      out.push_back(it->second);
    }
  }
  return out;
}

int64_t Registry::ReservedPosts(std::string_view unit_id) const {
  const UnitNode* node = FindUnit(unit_id);
  return node ? node->reserved : 0;
}

// ---------------------------------------------------------------- workers

absl::Status Registry::CheckWorkplace(std::string_view unit_id, std::string_view field) const {
  const UnitNode* node = FindUnit(unit_id);
  if (!node) return absl::NotFoundError(S(field) + ": unit '" + S(unit_id) + "' not found");
  if (!IsWorkplace(node->unit.kind)) {
    return Refused(field, S(unit_id) +
                              " is the district root; workers are placed at streets, towns, "
                              "large communities or communities");
  }
  return absl::OkStatus();
}

absl::Status Registry::CheckIdNumberFree(const std::string& id_number, int64_t except_id) const {
  auto it = held_id_numbers_.find(id_number);
  if (it != held_id_numbers_.end() && it->second != except_id) {
    return absl::AlreadyExistsError("worker.id_number: " + MaskIdNumber(id_number) +
                                    " is already registered to worker " + N(it->second));
  }
  return absl::OkStatus();
}

absl::Status Registry::ValidateWorkerFields(Worker& w, std::string_view today) const {
  w.personal.name = Trimmed(w.personal.name);
  if (w.personal.name.empty()) return Invalid("worker.name", "required");
  if (w.personal.name.size() > 100 || HasControl(w.personal.name)) {
    return Invalid("worker.name", "must be at most 100 bytes without control characters");
  }
  std::string normalized;
  RETURN_IF_ERROR(
      ValidateIdNumber(Trimmed(w.personal.id_number), "worker.id_number", today, &normalized));
  w.personal.id_number = normalized;
  w.birth_date = BirthDateOf(normalized);
  w.gender = GenderOf(normalized);
  w.personal.phone = Trimmed(w.personal.phone);
  if (!w.personal.phone.empty() && !IsValidPhone(w.personal.phone)) {
    return Invalid("worker.phone", "must be an 11-digit mobile number starting with 1 (" +
                                       MaskPhone(w.personal.phone) + ")");
  }
  const PostDef* post = grades_.FindPost(w.post);
  if (!post) {
    std::string known;
    for (const PostDef& p : grades_.posts) known += (known.empty() ? "" : ", ") + p.id;
    return Invalid("worker.post", "unknown post '" + w.post + "' (" + known + ")");
  }
  w.post = post->id;
  if (w.grade < post->min_grade || w.grade > post->max_grade) {
    return Invalid("worker.grade", N(w.grade) + " is outside " + PostRange(*post));
  }
  RETURN_IF_ERROR(CheckDate(w.hired_on, "worker.hired_on"));
  if (w.hired_on > today) return Invalid("worker.hired_on", w.hired_on + " is after today");
  if (w.hired_on < AddYears(w.birth_date, 16)) {
    return Invalid("worker.hired_on", w.hired_on + " is before the worker turned 16");
  }
  if (w.community_since.empty()) w.community_since = w.hired_on;
  RETURN_IF_ERROR(CheckDate(w.community_since, "worker.community_since"));
  if (w.community_since > today) {
    return Invalid("worker.community_since", w.community_since + " is after today");
  }
  if (w.community_since < AddYears(w.birth_date, 16)) {
    return Invalid("worker.community_since", w.community_since + " is before the worker turned 16");
  }
  if (!w.pay) {
    w.pay = *grades_.PayFor(w.grade);
  } else {
    if (w.pay->base < 0) return Invalid("worker.pay.base", "must be ≥ 0");
    if (w.pay->performance < 0) return Invalid("worker.pay.performance", "must be ≥ 0");
  }
  std::vector<std::string> certs;
  for (const std::string& c : w.certificates) {
    std::string id = NormalizeCertificate(c);
    if (id.empty()) continue;
    if (HasControl(id)) return Invalid("worker.certificates", "holds control characters");
    if (std::find(certs.begin(), certs.end(), id) == certs.end()) certs.push_back(std::move(id));
  }
  w.certificates = std::move(certs);
  w.number = Trimmed(w.number);
  if (w.number.size() > 32 || HasControl(w.number)) {
    return Invalid("worker.number", "must be at most 32 characters without control characters");
  }
  return CheckWorkplace(w.unit_id, "worker.unit_id");
}

absl::Status Registry::ValidateNewWorker(Worker& w, std::string_view today,
                                         const Staged* staged) const {
  RETURN_IF_ERROR(ValidateWorkerFields(w, today));
  if (!OccupiesStatus(w.status)) return absl::OkStatus();
  RETURN_IF_ERROR(CheckIdNumberFree(w.personal.id_number, 0));
  if (staged) {
    auto it = staged->id_numbers.find(w.personal.id_number);
    if (it != staged->id_numbers.end()) {
      return absl::AlreadyExistsError("worker.id_number: " + MaskIdNumber(w.personal.id_number) +
                                      " already appears on row " + N(it->second));
    }
  }
  if (quota_.InQuota(w.employment)) {
    int64_t extra = 1;
    if (staged) {
      auto it = staged->occupied.find(w.unit_id);
      if (it != staged->occupied.end()) extra += it->second;
    }
    RETURN_IF_ERROR(CheckQuotaRoom(*FindUnit(w.unit_id), today, extra, "worker.unit_id"));
  }
  return absl::OkStatus();
}

void Registry::Count(const Worker& w, int delta) {
  UnitNode* node = FindUnit(w.unit_id);
  node->counts[static_cast<int>(w.employment)][static_cast<int>(w.status)] += delta;
  if (OccupiesStatus(w.status)) {
    if (delta > 0) {
      held_id_numbers_[w.personal.id_number] = w.id;
    } else {
      auto it = held_id_numbers_.find(w.personal.id_number);
      if (it != held_id_numbers_.end() && it->second == w.id) held_id_numbers_.erase(it);
    }
  }
}

void Registry::InsertWorker(Worker worker) {
  Count(worker, +1);
  const int64_t id = worker.id;
  workers_.emplace_hint(workers_.end(), id, std::move(worker));
}

absl::StatusOr<Change> Registry::CreateWorker(Worker worker, std::string_view today) {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  worker.id = 0;
  worker.transfers.clear();
  worker.converted_on.clear();
  RETURN_IF_ERROR(ValidateNewWorker(worker, today, nullptr));
  worker.id = NextWorkerId();
  Change change = WorkerChange(worker, worker.unit_id, "worker.created",
                               {{"unit_id", worker.unit_id},
                                {"post", worker.post},
                                {"grade", worker.grade},
                                {"employment", EnglishName(worker.employment)},
                                {"status", EnglishName(worker.status)}});
  InsertWorker(std::move(worker));
  return change;
}

absl::StatusOr<Change> Registry::PlanErasure(std::string_view id_number,
                                             std::string_view today) const {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  Change change;
  if (id_number.empty()) return change;
  for (const auto& [id, w] : workers_) {
    if (w.personal.id_number != id_number) continue;
    if (OccupiesStatus(w.status)) {
      return absl::FailedPreconditionError(
          "worker " + N(id) + " is " + S(EnglishName(w.status)) + " at " + w.unit_id +
          ": employment records are kept while employed; erase once the worker has left");
    }
    Worker erased = w;
    erased.personal = {S(kErasedName), "", "", S(today)};
    erased.birth_date.clear();
    erased.number.clear();
    Change one = WorkerChange(erased, erased.unit_id, "worker.personal_data_erased",
                              {{"date", S(today)}});
    change.workers.push_back(std::move(one.workers[0]));
    change.audit.push_back(std::move(one.audit[0]));
  }
  return change;
}

void Registry::ApplyErasure(const Change& change) {
  for (const Worker& w : change.workers) {
    auto it = workers_.find(w.id);
    if (it == workers_.end()) continue;
    Count(it->second, -1);
    it->second = w;
    Count(w, +1);
  }
}

absl::StatusOr<Change> Registry::UpdateWorker(int64_t id, const WorkerPatch& patch,
                                              std::string_view today, std::string_view reason) {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  auto it = workers_.find(id);
  if (it == workers_.end()) return absl::NotFoundError("worker " + N(id) + " not found");
  const Worker& before = it->second;
  RETURN_IF_ERROR(NotErased(before));
  Worker w = before;
  std::vector<std::string> fields;
  auto set = [&fields](auto& target, const auto& value, const char* name) {
    if (value) {
      target = *value;
      fields.push_back(name);
    }
  };
  set(w.personal.name, patch.name, "name");
  set(w.personal.id_number, patch.id_number, "id_number");
  set(w.personal.phone, patch.phone, "phone");
  set(w.education, patch.education, "education");
  set(w.certificates, patch.certificates, "certificates");
  set(w.employment, patch.employment, "employment");
  set(w.post, patch.post, "post");
  set(w.grade, patch.grade, "grade");
  set(w.hired_on, patch.hired_on, "hired_on");
  set(w.community_since, patch.community_since, "community_since");
  set(w.reserve_cadre, patch.reserve_cadre, "reserve_cadre");
  if (patch.pay) {
    w.pay = *patch.pay;
    fields.push_back("pay");
  }
  set(w.number, patch.number, "number");
  if (fields.empty()) return Invalid("patch", "changes nothing");
  // Pay that followed the table keeps following it when the grade changes.
  if (patch.grade && !patch.pay && w.pay && grades_.PayFor(before.grade) &&
      *w.pay == *grades_.PayFor(before.grade) && grades_.PayFor(w.grade)) {
    w.pay = *grades_.PayFor(w.grade);
  }
  RETURN_IF_ERROR(ValidateWorkerFields(w, today));
  if (OccupiesStatus(w.status)) {
    RETURN_IF_ERROR(CheckIdNumberFree(w.personal.id_number, id));
    const bool was_in = quota_.InQuota(before.employment);
    const bool now_in = quota_.InQuota(w.employment);
    if (!was_in && now_in) {
      if (before.employment == Employment::kDispatch) {
        return Refused("worker.employment",
                       "labour-dispatch staff enter the quota only through dispatch conversion");
      }
      RETURN_IF_ERROR(CheckQuotaRoom(*FindUnit(w.unit_id), today, 1, "worker.employment"));
    }
  }
  Count(before, -1);
  it->second = w;
  Count(w, +1);
  return WorkerChange(w, w.unit_id, "worker.updated", {{"fields", fields}, {"reason", S(reason)}});
}

absl::StatusOr<Change> Registry::TransferWorker(int64_t id, std::string_view to_unit,
                                                std::string_view reason, std::string_view date,
                                                std::string_view by) {
  RETURN_IF_ERROR(CheckDate(date, "date"));
  if (Trimmed(reason).empty()) {
    return Invalid("reason", "required: a transfer is filed in writing with its reason");
  }
  auto it = workers_.find(id);
  if (it == workers_.end()) return absl::NotFoundError("worker " + N(id) + " not found");
  const Worker& before = it->second;
  if (!OccupiesStatus(before.status)) {
    return Refused("worker.status", "worker " + N(id) + " has left; rejoin first");
  }
  if (before.unit_id == to_unit) {
    return Refused("to_unit", "worker " + N(id) + " is already at " + S(to_unit));
  }
  RETURN_IF_ERROR(CheckWorkplace(to_unit, "to_unit"));
  if (S(date) < before.hired_on) return Invalid("date", S(date) + " is before the hire date");
  if (!before.transfers.empty() && S(date) < before.transfers.back().date) {
    return Invalid("date", S(date) + " is before the worker's last transfer on " +
                               before.transfers.back().date);
  }
  if (quota_.InQuota(before.employment)) {
    RETURN_IF_ERROR(CheckQuotaRoom(*FindUnit(to_unit), date, 1, "to_unit"));
  }
  Transfer t{before.unit_id, S(to_unit), S(date), Trimmed(reason), Trimmed(by)};
  Worker w = before;
  w.unit_id = S(to_unit);
  w.transfers.push_back(t);
  Count(before, -1);
  it->second = w;
  Count(w, +1);
  return WorkerChange(w, t.to, "worker.transferred", json(t));
}

absl::StatusOr<Change> Registry::ChangeStatus(int64_t id, WorkerStatus status,
                                              std::string_view reason, std::string_view date) {
  RETURN_IF_ERROR(CheckDate(date, "date"));
  if (Trimmed(reason).empty()) return Invalid("reason", "required");
  auto it = workers_.find(id);
  if (it == workers_.end()) return absl::NotFoundError("worker " + N(id) + " not found");
  const Worker& before = it->second;
  if (before.status == status) {
    return Refused("status", "worker " + N(id) + " is already " + S(EnglishName(status)));
  }
  if (!OccupiesStatus(before.status)) {
    RETURN_IF_ERROR(NotErased(before));
    // Rejoining takes a post again: the same checks as a hire.
    RETURN_IF_ERROR(CheckWorkplace(before.unit_id, "worker.unit_id"));
    RETURN_IF_ERROR(CheckIdNumberFree(before.personal.id_number, id));
    if (quota_.InQuota(before.employment)) {
      RETURN_IF_ERROR(CheckQuotaRoom(*FindUnit(before.unit_id), date, 1, "worker.unit_id"));
    }
  }
  Worker w = before;
  w.status = status;
  w.status_since = S(date);
  Count(before, -1);
  it->second = w;
  Count(w, +1);
  return WorkerChange(w, w.unit_id, "worker.status_changed",
                      {{"from", EnglishName(before.status)},
                       {"to", EnglishName(status)},
                       {"date", S(date)},
                       {"reason", Trimmed(reason)}});
}

std::string Registry::StreetStart(const Worker& w) const {
  // Service at a street-level unit runs from the hire, or from the latest transfer into it from
  // another street-level unit; moves between its own communities do not restart it.
  const std::string street = StreetOf(w.unit_id);
  std::string start = w.hired_on;
  for (const Transfer& t : w.transfers) {
    if (StreetOf(t.to) == street && StreetOf(t.from) != street) start = t.date;
  }
  return start;
}

absl::StatusOr<Change> Registry::RecordContract(int64_t id, int term_months,
                                                std::string_view probation_until,
                                                std::string_view today) {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  if (!probation_until.empty()) RETURN_IF_ERROR(CheckDate(probation_until, "probation_until"));
  auto it = workers_.find(id);
  if (it == workers_.end()) return absl::NotFoundError("worker " + N(id) + " not found");
  if (!it->second.regular_on.empty()) {
    return Refused("worker", "worker " + N(id) + " is regular since " + it->second.regular_on);
  }
  Worker& w = it->second;
  w.probation_until = S(probation_until);
  if (probation_until.empty()) w.regular_on = w.hired_on.empty() ? S(today) : w.hired_on;
  return WorkerChange(w, w.unit_id, "worker.contract_recorded",
                      {{"term_months", term_months},
                       {"probation_until", w.probation_until},
                       {"regular_on", w.regular_on},
                       {"date", S(today)}});
}

absl::StatusOr<Change> Registry::ConvertToRegular(int64_t id, std::string_view date) {
  RETURN_IF_ERROR(CheckDate(date, "date"));
  auto it = workers_.find(id);
  if (it == workers_.end()) return absl::NotFoundError("worker " + N(id) + " not found");
  Worker& w = it->second;
  if (!w.regular_on.empty()) {
    return Refused("worker", "worker " + N(id) + " is regular since " + w.regular_on);
  }
  w.regular_on = S(date);
  return WorkerChange(w, w.unit_id, "worker.converted_to_regular",
                      {{"probation_until", w.probation_until}, {"date", S(date)}});
}

absl::StatusOr<Change> Registry::ConvertDispatch(int64_t id, std::string_view reason,
                                                 std::string_view date) {
  RETURN_IF_ERROR(CheckDate(date, "date"));
  if (Trimmed(reason).empty()) return Invalid("reason", "required");
  auto it = workers_.find(id);
  if (it == workers_.end()) return absl::NotFoundError("worker " + N(id) + " not found");
  const Worker& before = it->second;
  if (before.employment != Employment::kDispatch) {
    return Refused("worker.employment", "only labour-dispatch staff convert; worker " + N(id) +
                                            " is " + S(EnglishName(before.employment)));
  }
  if (!OccupiesStatus(before.status)) {
    return Refused("worker.status", "worker " + N(id) + " has left");
  }
  const std::string street = StreetOf(before.unit_id);
  if (street.empty()) return Refused("worker.unit_id", "the worker's unit has no street office");
  const auto& rule = quota_.dispatch_conversion;
  const std::string since = StreetStart(before);
  const int years = FullYearsBetween(since, date);
  if (years < rule.min_years) {
    return Refused("worker.hired_on", "conversion needs " + N(rule.min_years) +
                                          " years at street " + street + "; " + N(years) +
                                          " since " + since);
  }
  RETURN_IF_ERROR(CheckQuotaRoom(*FindUnit(before.unit_id), date, 1, "worker.unit_id"));

  // Cap per street-level unit and calendar year: share × (its dispatch staff now + those it
  // already converted this year), i.e. the dispatch staff it had before this year's conversions.
  std::vector<const UnitNode*> subtree;
  CollectSubtree(street, &subtree);
  int64_t dispatch_now = 0;
  std::unordered_set<std::string> in_street;
  for (const UnitNode* n : subtree) {
    in_street.insert(n->unit.id);
    for (int s = 0; s < kStatusCount; ++s) {
      if (OccupiesStatus(static_cast<WorkerStatus>(s))) {
        dispatch_now += n->counts[static_cast<int>(Employment::kDispatch)][s];
      }
    }
  }
  const std::string year = S(date.substr(0, 4));
  int64_t converted = 0;
  for (const auto& [wid, other] : workers_) {
    if (!other.converted_on.empty() && other.converted_on.compare(0, 4, year) == 0 &&
        in_street.count(other.unit_id)) {
      ++converted;
    }
  }
  const int64_t pool = dispatch_now + converted;
  const int64_t cap = RoundBy(rule.max_share * static_cast<double>(pool), rule.rounding);
  if (converted + 1 > cap) {
    return Refused("conversion",
                   "street " + street + " may convert " + N(cap) + " in " + year + " (" +
                       N(static_cast<int64_t>(std::lround(rule.max_share * 100))) + "% of " +
                       N(pool) + " dispatch staff) and has converted " + N(converted));
  }

  Worker w = before;
  w.employment = Employment::kContract;
  w.converted_on = S(date);
  Count(before, -1);
  it->second = w;
  Count(w, +1);
  return WorkerChange(w, w.unit_id, "worker.dispatch_converted",
                      {{"street", street},
                       {"since", since},
                       {"years", years},
                       {"cap", cap},
                       {"converted_before", converted},
                       {"date", S(date)},
                       {"reason", Trimmed(reason)}});
}

absl::StatusOr<Change> Registry::ImportRoster(std::vector<RosterRow> rows, std::string_view today) {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  // Unit names resolve only when unique; ids always win.
  std::unordered_map<std::string, std::vector<std::string>> by_name;
  for (const auto& [id, node] : units_) by_name[node.unit.name].push_back(id);

  Staged staged;
  staged.id_numbers.reserve(rows.size());
  for (RosterRow& row : rows) {
    Worker& w = row.worker;
    w.id = 0;
    w.transfers.clear();
    w.converted_on.clear();
    if (FindUnit(row.unit_ref)) {
      w.unit_id = row.unit_ref;
    } else {
      auto it = by_name.find(Trimmed(row.unit_ref));
      if (it == by_name.end()) {
        return AtRow(row, absl::NotFoundError("worker.unit_id: unit '" + row.unit_ref +
                                              "' not found (give a unit id or name)"));
      }
      if (it->second.size() > 1) {
        std::string ids;
        for (const auto& id : it->second) ids += (ids.empty() ? "" : ", ") + id;
        return AtRow(
            row, Invalid("worker.unit_id", "unit name '" + row.unit_ref + "' is ambiguous (" + ids +
                                               "): give the unit id"));
      }
      w.unit_id = it->second.front();
    }
    if (absl::Status s = ValidateNewWorker(w, today, &staged); !s.ok()) return AtRow(row, s);
    if (OccupiesStatus(w.status)) {
      staged.id_numbers.emplace(w.personal.id_number, row.row);
      if (quota_.InQuota(w.employment)) ++staged.occupied[w.unit_id];
    }
  }

  Reserve(rows.size());
  Change change;
  change.workers.reserve(rows.size());
  change.audit.reserve(rows.size());
  for (RosterRow& row : rows) {
    row.worker.id = NextWorkerId();
    change.audit.push_back({"worker:" + N(row.worker.id),
                            row.worker.unit_id,
                            "worker.imported",
                            {{"row", row.row}, {"reason", "roster import"}}});
    change.workers.push_back(row.worker);
    InsertWorker(std::move(row.worker));
  }
  return change;
}

absl::StatusOr<Worker> Registry::GetWorker(int64_t id) const {
  auto it = workers_.find(id);
  if (it == workers_.end()) return absl::NotFoundError("worker " + N(id) + " not found");
  return it->second;
}

absl::StatusOr<WorkerPage> Registry::ListWorkers(const WorkerFilter& filter, int64_t after_id,
                                                 size_t limit) const {
  if (limit == 0) return Invalid("limit", "must be > 0");
  std::unordered_set<std::string> units;
  if (!filter.unit_id.empty()) {
    if (!FindUnit(filter.unit_id)) {
      return absl::NotFoundError("unit_id: unit " + filter.unit_id + " not found");
    }
    std::vector<const UnitNode*> subtree;
    CollectSubtree(filter.unit_id, &subtree);
    for (const UnitNode* n : subtree) units.insert(n->unit.id);
  }
  std::string post;
  if (!filter.post.empty()) {
    const PostDef* p = grades_.FindPost(filter.post);
    if (!p) return Invalid("post", "unknown post '" + filter.post + "'");
    post = p->id;
  }
  const std::string search = Trimmed(filter.search);
  std::string search_upper = search;
  for (char& c : search_upper) {
    if (c == 'x') c = 'X';
  }
  auto matches = [&](const Worker& w) {
    if (!units.empty() && !units.count(w.unit_id)) return false;
    if (filter.status && w.status != *filter.status) return false;
    if (!post.empty() && w.post != post) return false;
    if (filter.employment && w.employment != *filter.employment) return false;
    if (filter.reserve_cadre && w.reserve_cadre != *filter.reserve_cadre) return false;
    if (!search.empty()) {
      return w.personal.name.find(search) != std::string::npos || w.number == search ||
             N(w.id) == search || w.personal.id_number == search_upper;
    }
    return true;
  };
  WorkerPage page;
  for (auto it = workers_.upper_bound(after_id); it != workers_.end(); ++it) {
    if (!matches(it->second)) continue;
    if (page.workers.size() == limit) {
      page.next_after_id = page.workers.back().id;
      break;
    }
    page.workers.push_back(it->second);
  }
  return page;
}

absl::StatusOr<int> Registry::SuggestGrade(std::string_view post, int years,
                                           Education education) const {
  const PostDef* p = grades_.FindPost(post);
  if (!p) return Invalid("post", "unknown post '" + S(post) + "'");
  if (years < 0) return Invalid("years_of_community_work", "must be ≥ 0");
  const int grade = p->min_grade + years / grades_.years_per_grade +
                    grades_.education_bonus[static_cast<int>(education)];
  return std::clamp(grade, p->min_grade, p->max_grade);
}

// ---------------------------------------------------------------- reports

absl::StatusOr<OccupancyReport> Registry::Occupancy(std::string_view unit_id,
                                                    std::string_view today) const {
  RETURN_IF_ERROR(CheckDate(today, "today"));
  const std::string root = unit_id.empty() ? root_id_ : S(unit_id);
  if (!FindUnit(root)) {
    return absl::NotFoundError("unit " + (root.empty() ? "(root)" : root) + " not found");
  }
  OccupancyReport report;
  report.date = S(today);
  // Pre-order rows; subtree figures are summed children-first through the recursion.
  auto fill = [&](auto&& self, const UnitNode& node, int depth) -> size_t {
    const size_t index = report.rows.size();
    report.rows.push_back({});
    OccupancyFigures own;
    if (IsWorkplace(node.unit.kind)) own.approved = ApprovedOn(node, today);
    if (node.unit.kind == UnitKind::kCommunity) {
      own.workstation_posts = quota_.WorkstationPosts(node.unit.households);
    }
    for (int e = 0; e < kEmploymentCount; ++e) {
      for (int s = 0; s < kStatusCount; ++s) {
        const auto status = static_cast<WorkerStatus>(s);
        const int64_t n = node.counts[e][s];
        if (n == 0 || !OccupiesStatus(status)) continue;
        if (static_cast<Employment>(e) == Employment::kDispatch) own.dispatch += n;
        if (!quota_.in_quota[e]) {
          own.outside_quota += n;
          continue;
        }
        own.occupied += n;
        switch (status) {
          case WorkerStatus::kOnPost:
            own.on_post += n;
            break;
          case WorkerStatus::kSecondedStreet:
            own.seconded_street += n;
            break;
          case WorkerStatus::kSecondedDistrict:
            own.seconded_district += n;
            break;
          case WorkerStatus::kRetiredInPlace:
            own.retired_in_place += n;
            break;
          case WorkerStatus::kOnLeave:
            own.on_leave += n;
            break;
          case WorkerStatus::kLeft:
            break;
        }
      }
    }
    own.reserved = node.reserved;
    own.vacant = std::max<int64_t>(own.approved - own.occupied - own.reserved, 0);
    own.over_quota = std::max<int64_t>(own.occupied - own.approved, 0);
    own.hollow = own.seconded_street + own.seconded_district + own.retired_in_place;
    OccupancyFigures subtree = own;
    for (const std::string& c : node.children) {
      const size_t child = self(self, *FindUnit(c), depth + 1);
      subtree.Add(report.rows[child].subtree);
    }
    OccupancyRow& row = report.rows[index];
    row.unit_id = node.unit.id;
    row.name = node.unit.name;
    row.kind = node.unit.kind;
    row.depth = depth;
    row.own = own;
    row.subtree = subtree;
    return index;
  };
  fill(fill, *FindUnit(root), 0);
  return report;
}

PayParityReport Registry::PayParity() const {
  struct Acc {
    int64_t count = 0;
    int64_t sum = 0;
    int64_t min = 0;
    int64_t max = 0;
  };
  std::unordered_map<std::string, std::string> street_of;
  for (const auto& [id, node] : units_) street_of[id] = StreetOf(id);
  auto post_rank = [&](const std::string& post) {
    for (size_t i = 0; i < grades_.posts.size(); ++i) {
      if (grades_.posts[i].id == post) return static_cast<int>(i);
    }
    return static_cast<int>(grades_.posts.size());
  };
  std::map<std::tuple<int, std::string, int, std::string>, Acc> acc;
  for (const auto& [id, w] : workers_) {
    if (!OccupiesStatus(w.status) || !quota_.InQuota(w.employment)) continue;
    const std::string& street = street_of[w.unit_id];
    if (street.empty()) continue;
    const Pay* table = grades_.PayFor(w.grade);
    const int64_t total = w.pay ? w.pay->total() : (table ? table->total() : 0);
    Acc& a = acc[{post_rank(w.post), w.post, w.grade, street}];
    a.min = a.count == 0 ? total : std::min(a.min, total);
    a.max = a.count == 0 ? total : std::max(a.max, total);
    a.sum += total;
    ++a.count;
  }
  PayParityReport report;
  report.tolerance = grades_.parity_tolerance;
  for (const auto& [key, a] : acc) {
    const auto& [rank, post, grade, street] = key;
    if (report.groups.empty() || report.groups.back().post != post ||
        report.groups.back().grade != grade) {
      PayParityGroup g;
      g.post = post;
      g.grade = grade;
      const Pay* table = grades_.PayFor(grade);
      g.table = table ? table->total() : 0;
      report.groups.push_back(std::move(g));
    }
    PayParityGroup& g = report.groups.back();
    PayParityStreet s;
    s.street_id = street;
    s.street_name = FindUnit(street)->unit.name;
    s.count = a.count;
    s.average = static_cast<double>(a.sum) / static_cast<double>(a.count);
    s.min = a.min;
    s.max = a.max;
    s.off_table = g.table > 0 && std::abs(s.average - static_cast<double>(g.table)) >
                                     report.tolerance * static_cast<double>(g.table) + 1e-9;
    g.streets.push_back(std::move(s));
  }
  for (PayParityGroup& g : report.groups) {
    double lo = g.streets.front().average, hi = lo;
    bool off = false;
    for (const PayParityStreet& s : g.streets) {
      lo = std::min(lo, s.average);
      hi = std::max(hi, s.average);
      off |= s.off_table;
    }
    g.gap = hi - lo;
    g.different_pay =
        g.streets.size() > 1 && g.gap > report.tolerance * static_cast<double>(g.table) + 1e-9;
    if (g.different_pay || off) ++report.flagged_groups;
  }
  return report;
}

}  // namespace shequ::domain::workforce
