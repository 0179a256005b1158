// Timers (daemon/engine/timers.cc): firing in due order, once, across manual clock steps and
// restarts, and the manual clock's stored time.

#include "tests/unit/engine/engine_fixture.h"

namespace shequ::engine {
namespace {

using TimersTest = EngineFixture;

constexpr char kTwoTimers[] = R"(
id: two-timers
start: split
nodes:
  split: {type: parallel, branches: [short, long], join: joined}
  short: {type: timer, duration: PT1H, set: {order: "(order ?? '') + 's'"}, next: joined}
  long: {type: timer, duration: PT2H, set: {order: "(order ?? '') + 'l'"}, next: joined}
  joined: {type: end}
)";

TEST_F(TimersTest, OneClockStepFiresEveryDueTimerInDueOrderOnce) {
  ASSERT_TRUE(Deploy(kTwoTimers).ok());
  auto id = Start("two-timers");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(engine_->TimersPending(), 2);
  auto step = Run([&](Reply r) {
    engine_->AdvanceClock(clock_, kMonday0900 + 3 * 3'600'000, std::move(r));
  });
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ((*step)["timers_fired"], 2);
  EXPECT_EQ((*step)["now_ms"], kMonday0900 + 3 * 3'600'000);
  const Instance inst = Get(*id);
  EXPECT_EQ(inst.state, "completed");
  EXPECT_EQ(inst.variables["order"], "sl");
  EXPECT_EQ(engine_->TimersPending(), 0);
  Advance(kDay);
  EXPECT_EQ(Get(*id).variables["order"], "sl");  // nothing fires twice
}

TEST_F(TimersTest, TheManualClockNeverGoesBackAndStoresTheTimeReached) {
  auto back = Run([&](Reply r) { engine_->AdvanceClock(clock_, kMonday0900 - 1, std::move(r)); });
  EXPECT_EQ(back.status().code(), absl::StatusCode::kInvalidArgument);
  Advance(5 * 60'000);
  EXPECT_EQ(Must(store_->LoadSequences()).at(Engine::kFakeClockSequence), kMonday0900 + 5 * 60'000);
  Advance(0);  // a step to the same moment is fine, and stored again
  EXPECT_EQ(Must(store_->LoadSequences()).at(Engine::kFakeClockSequence), kMonday0900 + 5 * 60'000);
}

TEST_F(TimersTest, ATimerDueDuringADowntimeFiresAtRecover) {
  ASSERT_TRUE(Deploy(kTwoTimers).ok());
  auto id = Start("two-timers");
  ASSERT_TRUE(id.ok());
  Close();
  clock_.Set(kMonday0900 + kDay);  // both came due while the engine was down
  Open();
  Advance(0);  // queued behind the firing Recover posted
  EXPECT_EQ(Get(*id).state, "completed");
  EXPECT_EQ(engine_->TimersPending(), 0);
}

}  // namespace
}  // namespace shequ::engine
