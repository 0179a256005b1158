// Definition versions across a daemon restart: the daemon loads only the latest version of each
// definition and those active instances run; an older version is read when a call needs it.

#include <gtest/gtest.h>

#include <string>

#include "tests/integration/client.h"

namespace shequ::testing {
namespace {

std::string Versioned(int v) {
  return "id: versioned\nname: Versioned v" + std::to_string(v) +
         "\nstart: wait\nnodes:\n"
         "  wait: {type: timer, duration: PT1H, next: done}\n"
         "  done: {type: end}\n";
}

class DefinitionsTest : public DaemonTest {
 protected:
  DefinitionsTest() : DaemonTest("definitions") {}
};

TEST_F(DefinitionsTest, OldVersionsAreServedAfterARestart) {
  ASSERT_EQ(client_->Deploy(Versioned(1)), 1);
  const int64_t ended = client_->Start("versioned");
  client_->Advance("PT2H");
  ASSERT_EQ(client_->Instance(ended).state(), "completed");
  const int64_t waiting = client_->Start("versioned");
  ASSERT_EQ(client_->Deploy(Versioned(2)), 2);
  ASSERT_EQ(client_->Deploy(Versioned(3)), 3);

  ASSERT_EQ(StopDaemon(), 0) << daemon_->Log();
  StartDaemon();

  // The ended instance of v1 reads as before, and so does its version (read on demand).
  const v1::Instance inst = client_->Instance(ended);
  EXPECT_EQ(inst.definition_version(), 1);
  EXPECT_EQ(inst.state(), "completed");
  EXPECT_FALSE(client_->History(ended).empty());
  const v1::Definition v1 = client_->Definition("versioned", 1);
  EXPECT_EQ(v1.version(), 1);
  EXPECT_EQ(v1.yaml(), Versioned(1));
  EXPECT_EQ(client_->Definition("versioned", 2).yaml(), Versioned(2));
  EXPECT_EQ(client_->Definition("versioned").version(), 3);
  v1::Definition none;
  EXPECT_EQ(client_->GetDefinition("versioned", &none, 9).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // An explicit old version starts; the v1 instance that was waiting runs on (v1 is live).
  v1::StartRequest req;
  req.set_definition_id("versioned");
  req.set_version(2);
  v1::StartResponse started;
  ASSERT_TRUE(client_->TryStart(req, &started).ok());
  EXPECT_EQ(started.definition_version(), 2);
  client_->Advance("PT2H");
  EXPECT_EQ(client_->Instance(waiting).state(), "completed");
  EXPECT_EQ(client_->Instance(waiting).definition_version(), 1);
  EXPECT_EQ(client_->Instance(started.instance_id()).state(), "completed");
  // A new version is numbered above every stored one.
  EXPECT_EQ(client_->Deploy(Versioned(4)), 4);
}

}  // namespace
}  // namespace shequ::testing
