#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/domain/reviews/policy.h"

// What a year's final rating changes in the worker's personnel file (domain.md §4, seeds 000,
// 002, 003): grade progression counts competent-or-better years only; excellent years in a row
// give priority for promotion; a first incompetent year brings an admonishment talk and
// circulated criticism; incompetent years in a row, or a grave error, end the contract; a failed
// democratic appraisal brings advice to resign. Pure: the file comes in, the changes go out.
namespace shequ::domain::reviews {

struct PastYear {
  int year = 0;
  Rating rating = Rating::kNotRated;
};

// The part of the worker's file the consequences read.
struct WorkerFile {
  int grade = 1;
  int max_grade = 18;             // the post's top grade (grades.yaml)
  int qualifying_years = 0;       // competent-or-better years since the last grade step
  std::vector<PastYear> history;  // earlier final ratings, any order
};

// The year's result as it bears on the file.
struct YearRating {
  int year = 0;
  Rating rating = Rating::kNotRated;
  bool appraisal_failed = false;  // 评议不合格
  std::string grave_error;        // "" for none
};

struct Consequences {
  bool counts_toward_grade = false;
  int qualifying_years = 0;          // after this year (back to 0 after a grade step)
  bool grade_step = false;           // one grade up is due
  int new_grade = 0;                 // the grade after this year (the post's top grade stops it)
  bool promotion_priority = false;   // 优先晋升职位
  bool admonishment = false;         // 诫勉谈话 and 通报批评
  bool termination = false;          // 辞退, contract terminated
  bool advised_to_resign = false;    // 引咎辞职
  std::vector<std::string> entries;  // what the personnel file records, in order
};

// INVALID_ARGUMENT naming the field for a history entry of this year or later, a year listed
// twice, or a grade outside 1..max_grade.
absl::StatusOr<Consequences> ConsequencesOf(const YearRating& rating, const WorkerFile& file,
                                            const ReviewPolicy& policy);

}  // namespace shequ::domain::reviews
