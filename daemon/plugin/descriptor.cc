#include "daemon/plugin/descriptor.h"

#include <google/protobuf/util/json_util.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "daemon/core/status.h"

namespace shequ::plugin {
namespace {

absl::Status At(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", what));
}

absl::Status ValidateField(const pb::Field& f, const std::string& path, int depth) {
  if (f.id().empty()) return At(path + ".id", "required");
  if (!IsFieldType(f.type())) {
    return At(
        path + ".type",
        absl::StrCat("'", f.type(),
                     "' is not one of text, integer, decimal, boolean, date, choice, roster"));
  }
  if (f.type() == "choice" && f.choices().empty()) {
    return At(path + ".choices", "a choice field lists its choices");
  }
  if (f.type() == "roster") {
    if (depth > 0) return At(path + ".type", "a roster cannot hold another roster");
    if (f.columns().empty()) return At(path + ".columns", "a roster field lists its columns");
    std::set<std::string> ids;
    for (int i = 0; i < f.columns_size(); ++i) {
      const std::string p = absl::StrCat(path, ".columns[", i, "]");
      RETURN_IF_ERROR(ValidateField(f.columns(i), p, depth + 1));
      if (!ids.insert(f.columns(i).id()).second) return At(p + ".id", "repeated");
    }
  } else if (!f.columns().empty()) {
    return At(path + ".columns", "only a roster field has columns");
  }
  return absl::OkStatus();
}

absl::Status ValidateFields(const google::protobuf::RepeatedPtrField<pb::Field>& fields,
                            const std::string& path) {
  std::set<std::string> ids;
  for (int i = 0; i < fields.size(); ++i) {
    const std::string p = absl::StrCat(path, "[", i, "]");
    RETURN_IF_ERROR(ValidateField(fields[i], p, 0));
    if (!ids.insert(fields[i].id()).second) {
      return At(p + ".id", absl::StrCat("'", fields[i].id(), "' repeated"));
    }
  }
  return absl::OkStatus();
}

// Every field with its path, rosters' columns included.
void CollectFields(const google::protobuf::RepeatedPtrField<pb::Field>& fields,
                   const std::string& path,
                   std::vector<std::pair<std::string, const pb::Field*>>* out) {
  for (int i = 0; i < fields.size(); ++i) {
    const std::string p = absl::StrCat(path, "[", i, "]");
    out->emplace_back(p, &fields[i]);
    CollectFields(fields[i].columns(), p + ".columns", out);
  }
}

}  // namespace

bool IsFieldType(const std::string& type) {
  static const std::set<std::string> kTypes = {"text", "integer", "decimal", "boolean",
                                               "date", "choice",  "roster"};
  return kTypes.count(type) > 0;
}

absl::StatusOr<pb::Descriptor> ParseDescriptorJson(absl::string_view json) {
  pb::Descriptor d;
  google::protobuf::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto s = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &d, opts);
  if (!s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("descriptor JSON: ", std::string(s.message().data(), s.message().size())));
  }
  return d;
}

absl::Status ValidateDescriptor(const pb::Descriptor& d) {
  if (d.name().empty()) return At("name", "required");
  if (d.protocol_version() != kProtocolVersion) {
    return At("protocol_version",
              absl::StrCat(d.protocol_version(), " is not spoken here (", kProtocolVersion, ")"));
  }
  std::set<std::string> types;
  for (int i = 0; i < d.job_types_size(); ++i) {
    const std::string p = absl::StrCat("job_types[", i, "]");
    if (d.job_types(i).type().empty()) return At(p + ".type", "required");
    if (!types.insert(d.job_types(i).type()).second) {
      return At(p + ".type", absl::StrCat("'", d.job_types(i).type(), "' repeated"));
    }
  }
  std::set<std::string> ops;
  for (int i = 0; i < d.operations_size(); ++i) {
    const std::string p = absl::StrCat("operations[", i, "]");
    if (d.operations(i).name().empty()) return At(p + ".name", "required");
    if (!ops.insert(d.operations(i).name()).second) return At(p + ".name", "repeated");
  }
  std::set<std::string> checklists;
  for (int i = 0; i < d.checklists_size(); ++i) {
    const auto& c = d.checklists(i);
    const std::string p = absl::StrCat("checklists[", i, "]");
    if (c.id().empty()) return At(p + ".id", "required");
    if (!checklists.insert(c.id()).second) return At(p + ".id", "repeated");
    RETURN_IF_ERROR(ValidateFields(c.fields(), p + ".fields"));
    std::set<std::string> fields;
    for (const auto& f : c.fields()) fields.insert(f.id());
    for (int j = 0; j < c.items_size(); ++j) {
      for (const auto& ref : c.items(j).field_ids()) {
        if (!fields.count(ref)) {
          return At(absl::StrCat(p, ".items[", j, "].field_ids"),
                    absl::StrCat("'", ref, "' is not a field of this checklist"));
        }
      }
    }
  }
  RETURN_IF_ERROR(ValidateFields(d.ledger_fields(), "ledger_fields"));
  std::set<std::string> signs;
  for (int i = 0; i < d.signboards_size(); ++i) {
    const std::string p = absl::StrCat("signboards[", i, "]");
    if (d.signboards(i).id().empty()) return At(p + ".id", "required");
    if (d.signboards(i).title().empty()) return At(p + ".title", "required");
    if (!signs.insert(d.signboards(i).id()).second) return At(p + ".id", "repeated");
  }
  for (int i = 0; i < d.channels_size(); ++i) {
    if (d.channels(i).id().empty()) return At(absl::StrCat("channels[", i, "].id"), "required");
  }
  // Within one plugin, too, a field id has one type.
  std::vector<pb::Descriptor> one = {d};
  if (auto conflicts = CrossCheck(one); !conflicts.empty()) {
    return absl::InvalidArgumentError(conflicts.front());
  }
  return absl::OkStatus();
}

std::vector<std::string> CrossCheck(const std::vector<pb::Descriptor>& descriptors) {
  std::vector<std::string> conflicts;
  struct Seen {
    std::string type, where;
  };
  std::map<std::string, Seen> fields;
  std::map<std::string, std::string> job_types;
  for (const auto& d : descriptors) {
    std::vector<std::pair<std::string, const pb::Field*>> all;
    for (int i = 0; i < d.checklists_size(); ++i) {
      CollectFields(d.checklists(i).fields(), absl::StrCat("checklists[", i, "].fields"), &all);
    }
    CollectFields(d.ledger_fields(), "ledger_fields", &all);
    for (const auto& [path, f] : all) {
      const std::string where = absl::StrCat(d.name(), " ", path);
      auto [it, fresh] = fields.emplace(f->id(), Seen{f->type(), where});
      if (!fresh && it->second.type != f->type()) {
        conflicts.push_back(absl::StrCat(where, ": field '", f->id(), "' is ", f->type(),
                                         " here but ", it->second.type, " in ", it->second.where,
                                         " (one datum, one type)"));
      }
    }
    for (const auto& jt : d.job_types()) {
      auto [it, fresh] = job_types.emplace(jt.type(), d.name());
      if (!fresh && it->second != d.name()) {
        conflicts.push_back(absl::StrCat("job type '", jt.type(), "' is declared by both ",
                                         it->second, " and ", d.name()));
      }
    }
  }
  return conflicts;
}

}  // namespace shequ::plugin
