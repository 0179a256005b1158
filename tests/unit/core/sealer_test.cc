#include "daemon/core/sealer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace shequ {
namespace {

std::filesystem::path TempDir() {
  char tmpl[] = "/tmp/shequ-sealer-XXXXXX";
  return std::filesystem::path(mkdtemp(tmpl));
}

TEST(SealerTest, SealOpensOnlyUnderTheSameKey) {
  std::array<uint8_t, Sealer::kKeyBytes> key{};
  key[0] = 1;
  const Sealer a = Sealer::FromKey(key);
  const std::string sealed = *a.Seal("张三 340111199001011234");
  EXPECT_EQ(sealed.find("张三"), std::string::npos);
  EXPECT_EQ(sealed.rfind("v1:", 0), 0u);
  ASSERT_TRUE(a.Open(sealed).ok());
  EXPECT_EQ(*a.Open(sealed), "张三 340111199001011234");
  // A fresh nonce each time: equal texts do not give equal ciphertexts.
  EXPECT_NE(*a.Seal("same"), *a.Seal("same"));

  key[0] = 2;
  const Sealer b = Sealer::FromKey(key);
  EXPECT_EQ(b.Open(sealed).status().code(), absl::StatusCode::kDataLoss);
}

TEST(SealerTest, AlteredOrMalformedTextIsRefused) {
  const Sealer s = Sealer::FromKey({});
  std::string sealed = *s.Seal("13800138000");
  sealed[sealed.size() - 3] = sealed[sealed.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(s.Open(sealed).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.Open("plain text").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(s.Open("v1:!!").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*s.Open(*s.Seal("")), "");
}

TEST(SealerTest, BlindIndexIsKeyedAndStable) {
  std::array<uint8_t, Sealer::kKeyBytes> key{};
  const Sealer a = Sealer::FromKey(key);
  EXPECT_EQ(*a.BlindIndex("340111199001011234"), *a.BlindIndex("340111199001011234"));
  EXPECT_NE(*a.BlindIndex("340111199001011234"), *a.BlindIndex("340111199001011235"));
  EXPECT_EQ(a.BlindIndex("x")->size(), 64u);
  key[5] = 9;
  EXPECT_NE(*Sealer::FromKey(key).BlindIndex("x"), *a.BlindIndex("x"));
}

TEST(SealerTest, KeyFileIsCreatedPrivateAndReused) {
  const auto dir = TempDir();
  const std::string path = (dir / "personal-data.key").string();
  auto first = Sealer::OpenKeyFile(path);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, static_cast<off_t>(Sealer::kKeyBytes));
  auto second = Sealer::OpenKeyFile(path);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second->Open(*first->Seal("王芳")), "王芳");
  std::filesystem::remove_all(dir);
}

TEST(SealerTest, BadKeyFilesAreRefusedWithTheReason) {
  const auto dir = TempDir();
  const std::string path = (dir / "k").string();
  std::ofstream(path) << "short";
  chmod(path.c_str(), 0600);
  auto short_key = Sealer::OpenKeyFile(path);
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(short_key.status().message().find("exactly 32 bytes"), std::string::npos);

  std::ofstream(path, std::ios::trunc) << std::string(32, 'k');
  chmod(path.c_str(), 0644);
  auto open_key = Sealer::OpenKeyFile(path);
  EXPECT_EQ(open_key.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(open_key.status().message().find("chmod 600"), std::string::npos);

  EXPECT_FALSE(Sealer::OpenKeyFile((dir / "missing-dir" / "k").string()).ok());
  std::filesystem::remove_all(dir);
}

TEST(SealerTest, NoRandomNonceFailsTheSeal) {
  Sealer s = Sealer::FromKey({});
  int calls = 0;
  s.SetRandomSource([&](uint8_t*, size_t) {
    ++calls;
    return false;
  });
  auto sealed = s.Seal("王芳");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(sealed.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(sealed.status().message().find("nonce"), std::string::npos) << sealed.status();
  // A copy shares the ring and its random source.
  const Sealer copy = s;
  EXPECT_FALSE(copy.Seal("x").ok());
  s.SetRandomSource(nullptr);
  EXPECT_TRUE(copy.Seal("x").ok());
}

TEST(SealerTest, RotationKeepsOldTextsReadableUntilTheKeyRetires) {
  const auto dir = TempDir();
  const std::string path = (dir / "personal-data.key").string();
  auto ring = Sealer::OpenKeyFile(path);
  ASSERT_TRUE(ring.ok()) << ring.status();
  const std::string old = *ring->Seal("张三");
  const std::string index = *ring->BlindIndex("340111199001011234");
  ASSERT_EQ(Sealer::KeyIdOf(old), 1u);

  auto id = ring->AddKey();
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 2u);
  EXPECT_EQ(ring->current_key_id(), 2u);
  const std::string fresh = *ring->Seal("李四");
  EXPECT_EQ(fresh.rfind("k2:", 0), 0u);
  EXPECT_EQ(*ring->Open(old), "张三");
  // The index key does not change with the sealing key.
  EXPECT_EQ(*ring->BlindIndex("340111199001011234"), index);

  // The file now holds the ring: a restart reads both keys.
  auto reopened = Sealer::OpenKeyFile(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->current_key_id(), 2u);
  EXPECT_EQ(*reopened->Open(old), "张三");
  EXPECT_EQ(*reopened->Open(fresh), "李四");
  EXPECT_EQ(*reopened->BlindIndex("340111199001011234"), index);

  EXPECT_EQ(ring->Retire(2).code(), absl::StatusCode::kFailedPrecondition);  // current
  ASSERT_TRUE(ring->Retire(1).ok());
  EXPECT_EQ(ring->Open(old).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*ring->Open(fresh), "李四");
  auto after = Sealer::OpenKeyFile(path);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->key_ids(), std::vector<uint32_t>{2});
  EXPECT_EQ(after->Open(old).status().code(), absl::StatusCode::kDataLoss);
  // The retired key is kept aside, private, and still opens what it sealed.
  const std::string aside = path + ".retired-1";
  struct stat st {};
  ASSERT_EQ(stat(aside.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto retired = Sealer::OpenKeyFile(aside);
  ASSERT_TRUE(retired.ok()) << retired.status();
  EXPECT_EQ(*retired->Open(old), "张三");
  std::filesystem::remove_all(dir);
}

TEST(SealerTest, ANewKeyWithoutRandomnessChangesNothing) {
  const auto dir = TempDir();
  const std::string path = (dir / "k").string();
  auto ring = Sealer::OpenKeyFile(path);
  ASSERT_TRUE(ring.ok());
  ring->SetRandomSource([](uint8_t*, size_t) { return false; });
  EXPECT_EQ(ring->AddKey().status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(ring->current_key_id(), 1u);
  EXPECT_EQ(std::filesystem::file_size(path), Sealer::kKeyBytes);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shequ
