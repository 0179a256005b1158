#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

// The workforce registry's values: units, quota revisions and workers (domain.md "Organisation",
// "1. Headcount quota", "3. Onboarding"). Plain data with JSON (de)serialization; the rules live
// in registry.h. Dates are "YYYY-MM-DD" text throughout (comparable as text once validated).
namespace shequ::domain::workforce {

enum class UnitKind { kDistrict, kStreet, kTown, kLargeCommunity, kCommunity };
enum class CommunityType {
  kNone,  // not a community
  kAdministrativeVillage,
  kUrbanCommunity,
  kVillageToCommunity,
  kFactoryCommunity,
};
enum class Education { kHighSchool, kSecondary, kCollege, kBachelor, kMaster, kDoctor };
enum class Employment { kContract, kDispatch, kElected, kSecondedCadre, kSelfHired };
enum class WorkerStatus {
  kOnPost,
  kSecondedStreet,
  kSecondedDistrict,
  kRetiredInPlace,
  kOnLeave,
  kLeft,
};
enum class Gender { kFemale, kMale };

inline constexpr int kEmploymentCount = 5;
inline constexpr int kStatusCount = 6;

// One enum value's spellings: the English id (JSON, API) and the Chinese term (CSV, reports).
// `aliases` are further accepted inputs, e.g. "硕士" for master.
template <typename E>
struct EnumSpelling {
  E value;
  std::string_view en;
  std::string_view zh;
  std::string_view aliases = {};  // '|'-separated
};

template <typename E>
std::span<const EnumSpelling<E>> Spellings();
template <>
std::span<const EnumSpelling<UnitKind>> Spellings<UnitKind>();
template <>
std::span<const EnumSpelling<CommunityType>> Spellings<CommunityType>();
template <>
std::span<const EnumSpelling<Education>> Spellings<Education>();
template <>
std::span<const EnumSpelling<Employment>> Spellings<Employment>();
template <>
std::span<const EnumSpelling<WorkerStatus>> Spellings<WorkerStatus>();
template <>
std::span<const EnumSpelling<Gender>> Spellings<Gender>();

template <typename E>
std::string_view EnglishName(E value) {
  for (const auto& s : Spellings<E>()) {
    if (s.value == value) return s.en;
  }
  return "?";
}
template <typename E>
std::string_view ChineseName(E value) {
  for (const auto& s : Spellings<E>()) {
    if (s.value == value) return s.zh;
  }
  return "?";
}
// Accepts the English id (any case), the Chinese term or an alias, surrounding spaces ignored.
bool MatchesSpelling(std::string_view text, std::string_view en, std::string_view zh,
                     std::string_view aliases);
template <typename E>
std::optional<E> ParseEnum(std::string_view text) {
  for (const auto& s : Spellings<E>()) {
    if (MatchesSpelling(text, s.en, s.zh, s.aliases)) return s.value;
  }
  return std::nullopt;
}
// "contract, dispatch, ..." for error messages.
template <typename E>
std::string EnumChoices() {
  std::string out;
  for (const auto& s : Spellings<E>()) {
    if (!out.empty()) out += ", ";
    out += std::string(s.en) + "/" + std::string(s.zh);
  }
  return out;
}

// Known certificates (social-work qualification, 社会工作职业水平证书). Other certificates are
// kept as the text given.
struct CertificateSpelling {
  std::string_view en;
  std::string_view zh;
};
std::span<const CertificateSpelling> KnownCertificates();
// The English id of a known certificate in either spelling, else the trimmed text.
std::string NormalizeCertificate(std::string_view text);
std::string_view CertificateChineseName(std::string_view id);  // the id itself when unknown

struct Unit {
  std::string id;         // stable code, e.g. "bh", "bh.wuhu", "bh.wuhu.c01"
  std::string parent_id;  // "" for the district root
  std::string name;
  UnitKind kind = UnitKind::kCommunity;
  CommunityType community_type = CommunityType::kNone;  // communities only
  int64_t households = 0;
  int64_t residents = 0;
  double area_km2 = 0;
  int unit_class = 0;   // 1-3; 0: none of its own (a community uses its nearest ancestor's)
  std::string created;  // YYYY-MM-DD
  std::string updated;
};

// A street-level unit: street office, town or large community (the units communities hang off).
bool IsStreetLevel(UnitKind kind);
// Units where people are placed: everything but the district root.
inline bool IsWorkplace(UnitKind kind) { return kind != UnitKind::kDistrict; }

// An approved, dated quota for one unit. The approved quota on a date is the latest revision
// effective on or before it (by effective_from, then id); none means 0.
struct QuotaRevision {
  int64_t id = 0;
  std::string unit_id;
  int approved = 0;
  std::optional<int> computed;  // the policy figure when approved, if it could be computed
  std::string effective_from;   // YYYY-MM-DD
  std::string reason;
  std::string approved_by;
  std::string recorded_at;  // as given by the caller (a date or an RFC 3339 time)
  std::string approval_document;  // the committee's document number (文号), or "" (older data)
};

struct PersonalData {
  std::string name;
  std::string id_number;  // 18-character resident ID, final X upper case
  std::string phone;      // 11-digit mobile, or ""
  // Set once the person's data was erased (PIPL; docs/decisions/0014-erasure.md): the day it
  // was; name is then kErasedName and id_number and phone are empty.
  std::string erased_on;
};

// Erasure (docs/decisions/0014-erasure.md). What an erased record shows instead of a name.
inline constexpr std::string_view kErasedName = "[erased]";
// The stand-in for an erased ID number where a log must still replay with one: a valid
// 18-character number that keeps the birth date (the eligibility rules replayed from the log
// read the age off it) and replaces the region and sequence digits by "00" and `serial` (at
// most 7 digits, unique where the stand-in must be unique). No real region code starts with
// 00, so a stand-in never equals a real number.
std::string ErasedIdNumber(std::string_view id_number, int64_t serial);
bool IsErasedIdNumber(std::string_view id_number);

struct Pay {
  int64_t base = 0;         // yuan per month
  int64_t performance = 0;  // yuan per month
  int64_t total() const { return base + performance; }
  bool operator==(const Pay&) const = default;
};

struct Transfer {
  std::string from;
  std::string to;
  std::string date;
  std::string reason;
  std::string by;
};

struct Worker {
  int64_t id = 0;
  PersonalData personal;
  Gender gender = Gender::kFemale;  // derived from the ID number
  std::string birth_date;           // derived from the ID number
  Education education = Education::kHighSchool;
  std::vector<std::string> certificates;  // known ones by English id
  Employment employment = Employment::kContract;
  std::string post;  // a post id of the grade policy
  int grade = 0;
  std::string unit_id;
  WorkerStatus status = WorkerStatus::kOnPost;
  std::string hired_on;         // YYYY-MM-DD
  std::string community_since;  // start of community work, YYYY-MM-DD
  bool reserve_cadre = false;
  std::optional<Pay> pay;    // actual monthly pay; the registry fills it from the table when absent
  std::string number;        // external employee number (工号), optional
  std::string converted_on;  // date of the dispatch -> contract conversion, if any
  std::string probation_until;  // onboarding: the probation's last day, if any
  std::string regular_on;       // onboarding: converted to regular status (转正)
  // The day the current status began: the last status change, "" when it never changed since
  // the hire (the annual review reads secondments and departures off it).
  std::string status_since;
  std::vector<Transfer> transfers;
};

// Masking for answers to callers who may not see personal data, and for error messages.
std::string MaskName(std::string_view name);           // 张三明 -> 张*明, 张三 -> 张*
std::string MaskIdNumber(std::string_view id_number);  // first 3 + last 4, stars between
std::string MaskPhone(std::string_view phone);         // 138****5678
Worker Masked(Worker worker);                          // all three masked

// Validates an 18-character resident ID: 17 digits and a check character (0-9 or X) by
// ISO 7064 MOD 11-2, and a real birth date between 1900-01-01 and `today` (if given). `field`
// names the field in the error. On success writes the normalised number (upper-case X).
absl::Status ValidateIdNumber(std::string_view id_number, std::string_view field = "id_number",
                              std::string_view today = "", std::string* normalized = nullptr);
// Birth date (YYYY-MM-DD) and gender of a valid ID number.
std::string BirthDateOf(std::string_view id_number);
Gender GenderOf(std::string_view id_number);
// An 11-digit mainland mobile number starting with 1.
bool IsValidPhone(std::string_view phone);

// Dates.
bool IsValidDate(std::string_view date);  // strict YYYY-MM-DD, real day
// Whole years from `from` to `to` (both valid dates); negative when to < from.
int FullYearsBetween(std::string_view from, std::string_view to);
// `date` plus `years` (29 Feb becomes 28 Feb in a common year).
std::string AddYears(std::string_view date, int years);

// Quota posts held back for one recruitment campaign at one unit (招聘预留员额). Every placement
// but that campaign's own hires (Registry::HireReserved) counts them as taken. A record stays
// when its posts reach 0 (released or all hired) so the store keeps the history.
struct Reservation {
  std::string campaign_id;
  std::string unit_id;
  int posts = 0;            // still reserved
  int hired = 0;            // hires made into it so far
  int released = 0;         // posts given back so far (cut posts)
  std::string reserved_on;  // YYYY-MM-DD, latest reservation
  std::string updated;      // YYYY-MM-DD, latest change
};

// A roster row as parsed from CSV, before the registry resolves the unit and applies rules.
struct RosterRow {
  int row = 0;   // 1-based data row (the header is not counted)
  int line = 0;  // 1-based line of the file where the row starts
  Worker worker;
  std::string unit_ref;  // unit id or unique unit name as written
};

// JSON with English enum ids; dates as text; personal data in the clear (the caller masks).
void to_json(nlohmann::json& j, const Unit& v);
void from_json(const nlohmann::json& j, Unit& v);
void to_json(nlohmann::json& j, const QuotaRevision& v);
void from_json(const nlohmann::json& j, QuotaRevision& v);
void to_json(nlohmann::json& j, const Pay& v);
void from_json(const nlohmann::json& j, Pay& v);
void to_json(nlohmann::json& j, const Transfer& v);
void from_json(const nlohmann::json& j, Transfer& v);
void to_json(nlohmann::json& j, const Worker& v);
void to_json(nlohmann::json& j, const Reservation& v);
void from_json(const nlohmann::json& j, Reservation& v);

// The same JSON as to_json, written straight to text without building a document (a roster
// import writes 100,000 of them in one command). WorkerRecordJson leaves out personal data and
// what is derived from it (gender, birth date): what is stored beside the sealed PersonalJson.
std::string WorkerRecordJson(const Worker& v);
std::string PersonalJson(const PersonalData& v);
void from_json(const nlohmann::json& j, Worker& v);

// Non-throwing wrappers: INVALID_ARGUMENT naming what is wrong.
absl::StatusOr<Unit> UnitFromJson(const nlohmann::json& j);
absl::StatusOr<QuotaRevision> RevisionFromJson(const nlohmann::json& j);
absl::StatusOr<Worker> WorkerFromJson(const nlohmann::json& j);
absl::StatusOr<Reservation> ReservationFromJson(const nlohmann::json& j);

}  // namespace shequ::domain::workforce
