#include "daemon/domain/reviews/consequences.h"

#include <map>

namespace shequ::domain::reviews {
namespace {

using workforce::ChineseName;
using workforce::EnglishName;

std::string N(int64_t v) { return std::to_string(v); }

// Years in a row ending with `year` rated `rating` (this year's included).
int RunOf(Rating rating, int year, Rating this_year, const std::map<int, Rating>& past) {
  if (this_year != rating) return 0;
  int run = 1;
  for (int y = year - 1;; --y) {
    auto it = past.find(y);
    if (it == past.end() || it->second != rating) break;
    ++run;
  }
  return run;
}

}  // namespace

absl::StatusOr<Consequences> ConsequencesOf(const YearRating& r, const WorkerFile& file,
                                            const ReviewPolicy& policy) {
  if (file.max_grade < 1 || file.grade < 1 || file.grade > file.max_grade) {
    return absl::InvalidArgumentError("grade: " + N(file.grade) + " is outside 1–" +
                                      N(file.max_grade));
  }
  if (file.qualifying_years < 0) {
    return absl::InvalidArgumentError("qualifying_years: must be ≥ 0");
  }
  std::map<int, Rating> past;
  for (size_t i = 0; i < file.history.size(); ++i) {
    const PastYear& p = file.history[i];
    const std::string f = "history[" + N(static_cast<int64_t>(i)) + "]";
    if (p.year >= r.year) {
      return absl::InvalidArgumentError(f + ".year: " + N(p.year) + " is not before " + N(r.year));
    }
    if (!past.emplace(p.year, p.rating).second) {
      return absl::InvalidArgumentError(f + ".year: " + N(p.year) + " is listed twice");
    }
  }

  Consequences c;
  c.qualifying_years = file.qualifying_years;
  c.new_grade = file.grade;
  const std::string label = N(r.year) + " " + std::string(EnglishName(r.rating)) + " (" +
                            std::string(ChineseName(r.rating)) + ")";
  c.entries.push_back("annual review " + label);
  if (r.rating == Rating::kNotRated) {
    c.entries.push_back("not rated: counts toward no grade step");
    return c;
  }

  c.counts_toward_grade = CompetentOrBetter(r.rating);
  if (c.counts_toward_grade) {
    ++c.qualifying_years;
    if (c.qualifying_years >= policy.grade_step_years) {
      c.grade_step = true;
      c.qualifying_years = 0;
      if (file.grade < file.max_grade) {
        c.new_grade = file.grade + 1;
        c.entries.push_back(N(policy.grade_step_years) + " years competent or better: grade " +
                            N(file.grade) + " → " + N(c.new_grade));
      } else {
        c.entries.push_back(N(policy.grade_step_years) +
                            " years competent or better: grade step due, but grade " +
                            N(file.grade) + " is the post's top grade");
      }
    } else {
      c.entries.push_back("counts toward the next grade step: " + N(c.qualifying_years) + " of " +
                          N(policy.grade_step_years) + " years");
    }
  } else {
    c.entries.push_back("does not count toward a grade step (" + N(c.qualifying_years) + " of " +
                        N(policy.grade_step_years) + " years so far)");
  }

  const int excellent_run = RunOf(Rating::kExcellent, r.year, r.rating, past);
  if (excellent_run >= policy.promotion_excellent_years) {
    c.promotion_priority = true;
    c.entries.push_back(N(excellent_run) + " years excellent in a row: priority for promotion");
  }
  const int incompetent_run = RunOf(Rating::kIncompetent, r.year, r.rating, past);
  if (incompetent_run >= policy.termination_incompetent_years) {
    c.termination = true;
    c.entries.push_back(N(incompetent_run) +
                        " years incompetent in a row: dismissal, contract terminated");
  }
  if (!r.grave_error.empty()) {
    c.termination = true;
    c.entries.push_back("grave error (" + r.grave_error + "): dismissal, contract terminated");
  }
  if (incompetent_run > 0 && !c.termination) {
    c.admonishment = true;
    c.entries.push_back(
        "incompetent: admonishment talk (诫勉谈话) and circulated criticism "
        "(通报批评)");
  }
  if (r.appraisal_failed) {
    c.advised_to_resign = true;
    c.entries.push_back("failed the democratic appraisal: advised to resign (引咎辞职)");
  }
  return c;
}

}  // namespace shequ::domain::reviews
