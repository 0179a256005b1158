#include "daemon/domain/workforce/model.h"

#include <array>
#include <string>

#include "daemon/core/date.h"
#include "daemon/core/json_writer.h"

namespace shequ::domain::workforce {
namespace {

constexpr std::array<EnumSpelling<UnitKind>, 5> kUnitKinds{{
    {UnitKind::kDistrict, "district", "区"},
    {UnitKind::kStreet, "street", "街道", "街道办事处"},
    {UnitKind::kTown, "town", "镇"},
    {UnitKind::kLargeCommunity, "large_community", "大社区"},
    {UnitKind::kCommunity, "community", "社区"},
}};
constexpr std::array<EnumSpelling<CommunityType>, 5> kCommunityTypes{{
    {CommunityType::kNone, "none", "无"},
    {CommunityType::kAdministrativeVillage, "administrative_village", "行政村"},
    {CommunityType::kUrbanCommunity, "urban_community", "城市社区"},
    {CommunityType::kVillageToCommunity, "village_to_community", "村改居"},
    {CommunityType::kFactoryCommunity, "factory_community", "厂居"},
}};
constexpr std::array<EnumSpelling<Education>, 6> kEducations{{
    {Education::kHighSchool, "high_school", "高中", "高中及以下"},
    {Education::kSecondary, "secondary", "中专", "中职|技校"},
    {Education::kCollege, "college", "大专", "专科"},
    {Education::kBachelor, "bachelor", "本科", "大学本科|学士"},
    {Education::kMaster, "master", "硕士研究生", "硕士|研究生"},
    {Education::kDoctor, "doctor", "博士研究生", "博士"},
}};
constexpr std::array<EnumSpelling<Employment>, 5> kEmployments{{
    {Employment::kContract, "contract", "聘用合同", "聘用|合同制|聘用合同制"},
    {Employment::kDispatch, "dispatch", "劳务派遣", "派遣"},
    {Employment::kElected, "elected", "选任", "选举"},
    {Employment::kSecondedCadre, "seconded_cadre", "下派干部", "下派"},
    {Employment::kSelfHired, "self_hired", "自聘", "编外自聘"},
}};
constexpr std::array<EnumSpelling<WorkerStatus>, 6> kStatuses{{
    {WorkerStatus::kOnPost, "on_post", "在岗"},
    {WorkerStatus::kSecondedStreet, "seconded_street", "借调街道"},
    {WorkerStatus::kSecondedDistrict, "seconded_district", "借调区级", "借调区直"},
    {WorkerStatus::kRetiredInPlace, "retired_in_place", "离岗退养"},
    {WorkerStatus::kOnLeave, "on_leave", "休假"},
    {WorkerStatus::kLeft, "left", "离职"},
}};
constexpr std::array<EnumSpelling<Gender>, 2> kGenders{{
    {Gender::kFemale, "female", "女"},
    {Gender::kMale, "male", "男"},
}};
constexpr std::array<CertificateSpelling, 3> kCertificates{{
    {"assistant_social_worker", "助理社会工作师"},
    {"social_worker", "社会工作师"},
    {"senior_social_worker", "高级社会工作师"},
}};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Splits a UTF-8 string into code points (as byte strings).
std::vector<std::string_view> CodePoints(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (i + len > s.size()) len = s.size() - i;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

template <typename E>
void EnumToJson(nlohmann::json& j, E v) {
  j = std::string(EnglishName(v));
}
template <typename E>
E EnumFromJson(const nlohmann::json& j, const char* field) {
  if (j.is_string()) {
    for (const auto& s : Spellings<E>()) {
      if (j.get<std::string>() == s.en) return s.value;
    }
  }
  throw nlohmann::json::type_error::create(302, std::string(field) + ": unknown value " + j.dump(),
                                           &j);
}

template <typename T>
void Opt(const nlohmann::json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) it->get_to(out);
}

template <typename T>
absl::StatusOr<T> FromJsonChecked(const nlohmann::json& j, const char* what) {
  try {
    if (!j.is_object()) return absl::InvalidArgumentError(std::string(what) + ": not an object");
    return j.get<T>();
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(std::string(what) + ": " + e.what());
  }
}

}  // namespace

template <>
std::span<const EnumSpelling<UnitKind>> Spellings<UnitKind>() {
  return kUnitKinds;
}
template <>
std::span<const EnumSpelling<CommunityType>> Spellings<CommunityType>() {
  return kCommunityTypes;
}
template <>
std::span<const EnumSpelling<Education>> Spellings<Education>() {
  return kEducations;
}
template <>
std::span<const EnumSpelling<Employment>> Spellings<Employment>() {
  return kEmployments;
}
template <>
std::span<const EnumSpelling<WorkerStatus>> Spellings<WorkerStatus>() {
  return kStatuses;
}
template <>
std::span<const EnumSpelling<Gender>> Spellings<Gender>() {
  return kGenders;
}

bool MatchesSpelling(std::string_view text, std::string_view en, std::string_view zh,
                     std::string_view aliases) {
  text = Trim(text);
  if (text.empty()) return false;
  if (EqualsIgnoreCase(text, en) || text == zh) return true;
  while (!aliases.empty()) {
    const size_t bar = aliases.find('|');
    if (text == aliases.substr(0, bar)) return true;
    if (bar == std::string_view::npos) break;
    aliases.remove_prefix(bar + 1);
  }
  return false;
}

std::span<const CertificateSpelling> KnownCertificates() { return kCertificates; }

std::string NormalizeCertificate(std::string_view text) {
  text = Trim(text);
  for (const auto& c : kCertificates) {
    if (EqualsIgnoreCase(text, c.en) || text == c.zh) return std::string(c.en);
  }
  return std::string(text);
}

std::string_view CertificateChineseName(std::string_view id) {
  for (const auto& c : kCertificates) {
    if (id == c.en) return c.zh;
  }
  return id;
}

bool IsStreetLevel(UnitKind kind) {
  return kind == UnitKind::kStreet || kind == UnitKind::kTown || kind == UnitKind::kLargeCommunity;
}

std::string MaskName(std::string_view name) {
  const auto cps = CodePoints(name);
  if (cps.empty()) return "";
  if (cps.size() == 1) return std::string(cps[0]) + "*";
  if (cps.size() == 2) return std::string(cps[0]) + "*";
  // Keep the first and last characters; one star per hidden character.
  std::string out(cps.front());
  for (size_t i = 1; i + 1 < cps.size(); ++i) out += "*";
  out += cps.back();
  return out;
}

std::string MaskIdNumber(std::string_view id) {
  if (id.size() <= 7) return std::string(id.size(), '*');
  return std::string(id.substr(0, 3)) + std::string(id.size() - 7, '*') +
         std::string(id.substr(id.size() - 4));
}

std::string MaskPhone(std::string_view phone) {
  if (phone.size() <= 7) return std::string(phone.size(), '*');
  return std::string(phone.substr(0, 3)) + std::string(phone.size() - 7, '*') +
         std::string(phone.substr(phone.size() - 4));
}

Worker Masked(Worker worker) {
  if (!worker.personal.erased_on.empty()) return worker;  // nothing left to mask
  worker.personal.name = MaskName(worker.personal.name);
  worker.personal.id_number = MaskIdNumber(worker.personal.id_number);
  worker.personal.phone = MaskPhone(worker.personal.phone);
  return worker;
}

absl::Status ValidateIdNumber(std::string_view id, std::string_view field, std::string_view today,
                              std::string* normalized) {
  const std::string f(field);
  if (id.size() != 18) {
    return absl::InvalidArgumentError(f + ": a resident ID number has 18 characters, got " +
                                      std::to_string(CodePoints(id).size()));
  }
  if (!AllDigits(id.substr(0, 17))) {
    return absl::InvalidArgumentError(f + ": the first 17 characters must be digits");
  }
  char last = id[17];
  if (last == 'x') last = 'X';
  if (!(last == 'X' || (last >= '0' && last <= '9'))) {
    return absl::InvalidArgumentError(f + ": the last character must be a digit or X");
  }
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (id[i] - '0') * kWeights[i];
  if (kCheck[sum % 11] != last) {
    // The masked form only: error messages may end up in logs.
    return absl::InvalidArgumentError(f + ": check digit does not match (" + MaskIdNumber(id) +
                                      ")");
  }
  const std::string birth = std::string(id.substr(6, 4)) + "-" + std::string(id.substr(10, 2)) +
                            "-" + std::string(id.substr(12, 2));
  if (!IsValidDate(birth) || birth < "1900-01-01" || (!today.empty() && birth > today)) {
    return absl::InvalidArgumentError(f + ": the birth date in the number is not plausible");
  }
  if (normalized) {
    *normalized = std::string(id.substr(0, 17)) + last;
  }
  return absl::OkStatus();
}

std::string BirthDateOf(std::string_view id) {
  if (id.size() < 14) return "";
  return std::string(id.substr(6, 4)) + "-" + std::string(id.substr(10, 2)) + "-" +
         std::string(id.substr(12, 2));
}

std::string ErasedIdNumber(std::string_view id, int64_t serial) {
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  std::string digits(7, '0');  // serial in 7 digits
  int64_t n = serial < 0 ? -serial : serial;
  for (int i = 6; i >= 0; --i, n /= 10) digits[i] = static_cast<char>('0' + n % 10);
  const std::string birth = id.size() >= 14 ? std::string(id.substr(6, 8)) : "19000101";
  std::string out = "00" + digits.substr(0, 4) + birth + digits.substr(4);
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (out[i] - '0') * kWeights[i];
  out += kCheck[sum % 11];
  return out;
}

bool IsErasedIdNumber(std::string_view id) { return id.size() == 18 && id.substr(0, 2) == "00"; }

Gender GenderOf(std::string_view id) {
  if (id.size() < 17) return Gender::kFemale;
  return ((id[16] - '0') % 2 == 1) ? Gender::kMale : Gender::kFemale;
}

bool IsValidPhone(std::string_view phone) {
  return phone.size() == 11 && AllDigits(phone) && phone[0] == '1';
}

bool IsValidDate(std::string_view date) { return ::shequ::date::IsValid(date); }

int FullYearsBetween(std::string_view from, std::string_view to) {
  return ::shequ::date::FullYearsBetween(from, to);
}

std::string AddYears(std::string_view date, int years) { return ::shequ::date::AddYears(date, years); }

// ---- JSON ----

void to_json(nlohmann::json& j, const Unit& v) {
  j = nlohmann::json{{"id", v.id},
                     {"parent_id", v.parent_id},
                     {"name", v.name},
                     {"kind", EnglishName(v.kind)},
                     {"households", v.households},
                     {"residents", v.residents},
                     {"area_km2", v.area_km2},
                     {"class", v.unit_class},
                     {"created", v.created},
                     {"updated", v.updated}};
  if (v.community_type != CommunityType::kNone) {
    j["community_type"] = EnglishName(v.community_type);
  }
}

void from_json(const nlohmann::json& j, Unit& v) {
  v = Unit{};
  j.at("id").get_to(v.id);
  Opt(j, "parent_id", v.parent_id);
  Opt(j, "name", v.name);
  v.kind = EnumFromJson<UnitKind>(j.at("kind"), "kind");
  if (auto it = j.find("community_type"); it != j.end() && !it->is_null()) {
    v.community_type = EnumFromJson<CommunityType>(*it, "community_type");
  }
  Opt(j, "households", v.households);
  Opt(j, "residents", v.residents);
  Opt(j, "area_km2", v.area_km2);
  Opt(j, "class", v.unit_class);
  Opt(j, "created", v.created);
  Opt(j, "updated", v.updated);
}

void to_json(nlohmann::json& j, const QuotaRevision& v) {
  j = nlohmann::json{{"id", v.id},
                     {"unit_id", v.unit_id},
                     {"approved", v.approved},
                     {"effective_from", v.effective_from},
                     {"reason", v.reason},
                     {"approved_by", v.approved_by},
                     {"recorded_at", v.recorded_at}};
  if (v.computed) j["computed"] = *v.computed;
  if (!v.approval_document.empty()) j["approval_document"] = v.approval_document;
}

void from_json(const nlohmann::json& j, QuotaRevision& v) {
  v = QuotaRevision{};
  j.at("id").get_to(v.id);
  j.at("unit_id").get_to(v.unit_id);
  j.at("approved").get_to(v.approved);
  if (auto it = j.find("computed"); it != j.end() && !it->is_null()) v.computed = it->get<int>();
  j.at("effective_from").get_to(v.effective_from);
  Opt(j, "reason", v.reason);
  Opt(j, "approved_by", v.approved_by);
  Opt(j, "recorded_at", v.recorded_at);
  Opt(j, "approval_document", v.approval_document);
}

void to_json(nlohmann::json& j, const Reservation& v) {
  j = nlohmann::json{{"campaign_id", v.campaign_id},
                     {"unit_id", v.unit_id},
                     {"posts", v.posts},
                     {"hired", v.hired},
                     {"released", v.released},
                     {"reserved_on", v.reserved_on},
                     {"updated", v.updated}};
}

void from_json(const nlohmann::json& j, Reservation& v) {
  v = Reservation{};
  j.at("campaign_id").get_to(v.campaign_id);
  j.at("unit_id").get_to(v.unit_id);
  j.at("posts").get_to(v.posts);
  Opt(j, "hired", v.hired);
  Opt(j, "released", v.released);
  Opt(j, "reserved_on", v.reserved_on);
  Opt(j, "updated", v.updated);
}

void to_json(nlohmann::json& j, const Pay& v) {
  j = nlohmann::json{{"base", v.base}, {"performance", v.performance}};
}
void from_json(const nlohmann::json& j, Pay& v) {
  j.at("base").get_to(v.base);
  j.at("performance").get_to(v.performance);
}

void to_json(nlohmann::json& j, const Transfer& v) {
  j = nlohmann::json{
      {"from", v.from}, {"to", v.to}, {"date", v.date}, {"reason", v.reason}, {"by", v.by}};
}
void from_json(const nlohmann::json& j, Transfer& v) {
  j.at("from").get_to(v.from);
  j.at("to").get_to(v.to);
  j.at("date").get_to(v.date);
  Opt(j, "reason", v.reason);
  Opt(j, "by", v.by);
}

void to_json(nlohmann::json& j, const Worker& v) {
  j = nlohmann::json{
      {"id", v.id},
      {"personal",
       {{"name", v.personal.name},
        {"id_number", v.personal.id_number},
        {"phone", v.personal.phone}}},
      {"gender", EnglishName(v.gender)},
      {"birth_date", v.birth_date},
      {"education", EnglishName(v.education)},
      {"certificates", v.certificates},
      {"employment", EnglishName(v.employment)},
      {"post", v.post},
      {"grade", v.grade},
      {"unit_id", v.unit_id},
      {"status", EnglishName(v.status)},
      {"hired_on", v.hired_on},
      {"community_since", v.community_since},
      {"reserve_cadre", v.reserve_cadre},
      {"number", v.number},
      {"transfers", v.transfers},
  };
  if (!v.personal.erased_on.empty()) j["personal"]["erased_on"] = v.personal.erased_on;
  if (v.pay) j["pay"] = *v.pay;
  if (!v.converted_on.empty()) j["converted_on"] = v.converted_on;
  if (!v.probation_until.empty()) j["probation_until"] = v.probation_until;
  if (!v.regular_on.empty()) j["regular_on"] = v.regular_on;
  if (!v.status_since.empty()) j["status_since"] = v.status_since;
}

std::string PersonalJson(const PersonalData& v) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Field("name", v.name);
  w.Field("id_number", v.id_number);
  w.Field("phone", v.phone);
  if (!v.erased_on.empty()) w.Field("erased_on", v.erased_on);
  w.EndObject();
  return out;
}

std::string WorkerRecordJson(const Worker& v) {
  std::string out;
  out.reserve(320);
  JsonWriter w(out);
  w.BeginObject();
  w.Field("id", v.id);
  w.Field("education", EnglishName(v.education));
  w.Field("certificates", v.certificates);
  w.Field("employment", EnglishName(v.employment));
  w.Field("post", v.post);
  w.Field("grade", int64_t{v.grade});
  w.Field("unit_id", v.unit_id);
  w.Field("status", EnglishName(v.status));
  w.Field("hired_on", v.hired_on);
  w.Field("community_since", v.community_since);
  w.Field("reserve_cadre", v.reserve_cadre);
  w.Field("number", v.number);
  w.Key("transfers");
  w.BeginArray();
  for (const Transfer& t : v.transfers) {
    w.BeginObject();
    w.Field("from", t.from);
    w.Field("to", t.to);
    w.Field("date", t.date);
    w.Field("reason", t.reason);
    w.Field("by", t.by);
    w.EndObject();
  }
  w.EndArray();
  if (v.pay) {
    w.Key("pay");
    w.BeginObject();
    w.Field("base", v.pay->base);
    w.Field("performance", v.pay->performance);
    w.EndObject();
  }
  if (!v.converted_on.empty()) w.Field("converted_on", v.converted_on);
  if (!v.probation_until.empty()) w.Field("probation_until", v.probation_until);
  if (!v.regular_on.empty()) w.Field("regular_on", v.regular_on);
  if (!v.status_since.empty()) w.Field("status_since", v.status_since);
  w.EndObject();
  return out;
}

void from_json(const nlohmann::json& j, Worker& v) {
  v = Worker{};
  j.at("id").get_to(v.id);
  const auto& p = j.at("personal");
  p.at("name").get_to(v.personal.name);
  p.at("id_number").get_to(v.personal.id_number);
  Opt(p, "phone", v.personal.phone);
  Opt(p, "erased_on", v.personal.erased_on);
  // Derived fields are recomputed, never trusted from storage.
  v.gender = GenderOf(v.personal.id_number);
  v.birth_date = BirthDateOf(v.personal.id_number);
  v.education = EnumFromJson<Education>(j.at("education"), "education");
  Opt(j, "certificates", v.certificates);
  v.employment = EnumFromJson<Employment>(j.at("employment"), "employment");
  j.at("post").get_to(v.post);
  j.at("grade").get_to(v.grade);
  j.at("unit_id").get_to(v.unit_id);
  v.status = EnumFromJson<WorkerStatus>(j.at("status"), "status");
  Opt(j, "hired_on", v.hired_on);
  Opt(j, "community_since", v.community_since);
  Opt(j, "reserve_cadre", v.reserve_cadre);
  if (auto it = j.find("pay"); it != j.end() && !it->is_null()) v.pay = it->get<Pay>();
  Opt(j, "number", v.number);
  Opt(j, "converted_on", v.converted_on);
  Opt(j, "probation_until", v.probation_until);
  Opt(j, "regular_on", v.regular_on);
  Opt(j, "status_since", v.status_since);
  Opt(j, "transfers", v.transfers);
}

absl::StatusOr<Unit> UnitFromJson(const nlohmann::json& j) {
  return FromJsonChecked<Unit>(j, "unit");
}
absl::StatusOr<QuotaRevision> RevisionFromJson(const nlohmann::json& j) {
  return FromJsonChecked<QuotaRevision>(j, "quota revision");
}
absl::StatusOr<Worker> WorkerFromJson(const nlohmann::json& j) {
  return FromJsonChecked<Worker>(j, "worker");
}
absl::StatusOr<Reservation> ReservationFromJson(const nlohmann::json& j) {
  return FromJsonChecked<Reservation>(j, "quota reservation");
}

}  // namespace shequ::domain::workforce
