#include "runner/staging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>

#include "aws/crypto.hpp"
#include "test_support.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;

// An in-memory S3 bucket behind the HTTP seam: ListObjectsV2 and GetObject, enough for staging.
class FakeS3 : public aws::HttpClient {
public:
  std::map<std::string, std::string> objects; // "bucket/key" → body
  std::atomic<int> gets{0};

  Expected<aws::HttpResponse> send(const aws::HttpRequest& request, const aws::BodySink& sink = {}) override {
    const auto url = aws::parse_url(request.url);
    if (!url || request.method != "GET") return aws::HttpResponse{405, {}, ""};
    const auto path = aws::uri_decode(url->path.substr(1));
    const auto slash = path.find('/');
    if (slash == std::string::npos) return list(path, query_value(url->query, "prefix"));
    const auto found = objects.find(path);
    if (found == objects.end()) {
      return aws::HttpResponse{404,
                               {},
                               "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
                               "</Message></Error>"};
    }
    ++gets;
    const auto& body = found->second;
    aws::HttpResponse response{
        200,
        {{"ETag", "\"" + aws::hex(aws::md5_raw(body)) + "\""}, {"Content-Length", std::to_string(body.size())}},
        ""};
    if (sink) {
      if (!sink(body)) return util::fail(util::ErrorKind::io, "aborted by the sink");
    } else {
      response.body = body;
    }
    return response;
  }

private:
  static std::string query_value(const std::string& query, const std::string& name) {
    std::istringstream in(query);
    for (std::string pair; std::getline(in, pair, '&');) {
      if (pair.starts_with(name + "=")) return aws::uri_decode(pair.substr(name.size() + 1));
    }
    return "";
  }
  aws::HttpResponse list(const std::string& bucket, const std::string& prefix) {
    std::string xml = "<ListBucketResult><IsTruncated>false</IsTruncated>";
    for (const auto& [path, body] : objects) {
      const auto key = path.substr(path.find('/') + 1);
      if (!path.starts_with(bucket + "/") || !key.starts_with(prefix)) continue;
      xml += "<Contents><Key>" + aws::uri_encode(key, true) + "</Key><Size>" + std::to_string(body.size()) +
             "</Size><ETag>&quot;" + aws::hex(aws::md5_raw(body)) +
             "&quot;</ETag><LastModified>2024-01-01T00:00:00.000Z</LastModified></Contents>";
    }
    return {200, {}, xml + "</ListBucketResult>"};
  }
};

class RunnerStaging : public ::testing::Test {
protected:
  test::TempDir temp;
  FakeS3 s3;
  aws::s3::Client client{s3, [] { return Expected<aws::Credentials>(aws::Credentials{"AKID", "secret", ""}); },
                         config()};
  aws::transfer::Manager transfer{client, aws::transfer::Options{}};

  static aws::s3::ClientConfig config() {
    aws::s3::ClientConfig config;
    config.endpoint = "http://s3.fake";
    return config;
  }
  fs::path write(const std::string& relative, const std::string& content) {
    const auto path = temp.path() / "src" / relative;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
    return path;
  }
  std::vector<fs::path> hosts(size_t count) {
    std::vector<fs::path> folders;
    for (size_t i = 1; i <= count; ++i)
      folders.push_back(temp.path() / ("algo-" + std::to_string(i)) / "input/data/training");
    return folders;
  }
  Expected<StagingStats> stage(const std::string& uri, const std::vector<fs::path>& folders,
                               const std::string& distribution = "FullyReplicated",
                               const std::string& type = "S3Prefix") {
    job::Channel channel;
    channel.name = "training";
    channel.uri = uri;
    channel.distribution = distribution;
    channel.s3_data_type = type;
    return stage_channel(channel, folders, &transfer);
  }
  // Relative paths of every file under `folder`, sorted.
  static std::vector<std::string> files_under(const fs::path& folder) {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      if (entry.is_regular_file()) files.push_back(entry.path().lexically_relative(folder).generic_string());
    }
    std::sort(files.begin(), files.end());
    return files;
  }
  static std::string read(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static struct stat stat_of(const fs::path& path) {
    struct stat st{};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st;
  }
  static void expect_error(const Expected<StagingStats>& staged, util::ErrorKind kind, const std::string& part) {
    ASSERT_FALSE(staged);
    EXPECT_EQ(staged.error().kind, kind) << staged.error().message;
    EXPECT_NE(staged.error().message.find(part), std::string::npos) << staged.error().message;
  }
};

// ---- local sources ----

TEST_F(RunnerStaging, LocalFolderIsHardLinkedIntoEveryHost) {
  const auto a = write("a.csv", "1,2\n");
  write("script/train.py", "print('hi')\n");
  const auto folders = hosts(2);
  const auto staged = stage((temp.path() / "src").string(), folders);
  ASSERT_TRUE(staged) << staged.error().message;
  EXPECT_EQ(staged->files, 2u);
  EXPECT_EQ(staged->bytes, 4u + 12u);
  for (const auto& folder : folders) {
    EXPECT_EQ(files_under(folder), (std::vector<std::string>{"a.csv", "script/train.py"}));
    EXPECT_EQ(read(folder / "script/train.py"), "print('hi')\n");
    EXPECT_EQ(stat_of(folder / "a.csv").st_ino, stat_of(a).st_ino);
  }
  EXPECT_EQ(stat_of(a).st_nlink, 3u);
  // Staging again replaces what an earlier run left.
  ASSERT_TRUE(stage("file://" + (temp.path() / "src").string(), folders));
  EXPECT_EQ(stat_of(a).st_nlink, 3u);
}

TEST_F(RunnerStaging, SingleLocalFileLandsInTheChannelFolder) {
  write("data/train.csv", "x\n");
  const auto folders = hosts(1);
  ASSERT_TRUE(stage("file://" + (temp.path() / "src/data/train.csv").string(), folders));
  EXPECT_EQ(files_under(folders[0]), (std::vector<std::string>{"train.csv"}));
}

TEST_F(RunnerStaging, ShardedByS3KeySplitsSortedFilesRoundRobin) {
  for (int i = 0; i < 7; ++i)
    write("part-" + std::to_string(i), std::to_string(i));
  const auto folders = hosts(3);
  const auto staged = stage((temp.path() / "src").string(), folders, "ShardedByS3Key");
  ASSERT_TRUE(staged) << staged.error().message;
  EXPECT_EQ(staged->files, 7u);
  EXPECT_EQ(files_under(folders[0]), (std::vector<std::string>{"part-0", "part-3", "part-6"}));
  EXPECT_EQ(files_under(folders[1]), (std::vector<std::string>{"part-1", "part-4"}));
  EXPECT_EQ(files_under(folders[2]), (std::vector<std::string>{"part-2", "part-5"}));
  EXPECT_TRUE(shard_includes(4, 1, 3));
  EXPECT_FALSE(shard_includes(4, 0, 3));
  EXPECT_FALSE(shard_includes(0, 0, 0));
}

TEST_F(RunnerStaging, LinksInsideTheSourceAreStagedAsTheirTargets) {
  const auto real = write("real/data.csv", "d\n");
  fs::create_symlink("real/data.csv", temp.path() / "src/alias.csv");
  fs::create_directory_symlink("real", temp.path() / "src/linked");
  const auto folders = hosts(1);
  const auto staged = stage((temp.path() / "src").string(), folders);
  ASSERT_TRUE(staged) << staged.error().message;
  EXPECT_EQ(files_under(folders[0]), (std::vector<std::string>{"alias.csv", "linked/data.csv", "real/data.csv"}));
  EXPECT_FALSE(fs::is_symlink(folders[0] / "alias.csv"));
  EXPECT_EQ(stat_of(folders[0] / "alias.csv").st_ino, stat_of(real).st_ino);
}

TEST_F(RunnerStaging, LinksLeavingTheSourceAreRefused) {
  write("ok.csv", "x");
  const auto outside = temp.path() / "secret.txt";
  std::ofstream(outside) << "secret";
  fs::create_symlink(outside, temp.path() / "src/leak.txt");
  expect_error(stage((temp.path() / "src").string(), hosts(1)), util::ErrorKind::invalid_input, "outside");
  fs::remove(temp.path() / "src/leak.txt");

  fs::create_symlink(temp.path() / "missing", temp.path() / "src/dangling");
  expect_error(stage((temp.path() / "src").string(), hosts(1)), util::ErrorKind::invalid_input, "does not exist");
  fs::remove(temp.path() / "src/dangling");

  fs::create_directory_symlink("..", temp.path() / "src/up");
  expect_error(stage((temp.path() / "src").string(), hosts(1)), util::ErrorKind::invalid_input, "outside");
  fs::remove(temp.path() / "src/up");

  fs::create_directories(temp.path() / "src/sub");
  fs::create_directory_symlink("..", temp.path() / "src/sub/loop");
  expect_error(stage((temp.path() / "src").string(), hosts(1)), util::ErrorKind::invalid_input, "loops");
}

TEST_F(RunnerStaging, BadUrisAndSettingsAreRefused) {
  expect_error(stage("data/train", hosts(1)), util::ErrorKind::invalid_input, "absolute");
  expect_error(stage((temp.path() / "nothing").string(), hosts(1)), util::ErrorKind::not_found, "nothing");
  expect_error(stage("https://example.com/data.csv", hosts(1)), util::ErrorKind::unsupported, "https://");
  expect_error(stage("ftp://host/x", hosts(1)), util::ErrorKind::invalid_input, "ftp://");
  write("a", "a");
  expect_error(stage((temp.path() / "src").string(), hosts(1), "Sharded"), util::ErrorKind::invalid_input, "Sharded");
  expect_error(stage("s3://bucket/x", hosts(1), "FullyReplicated", "AugmentedManifestFile"),
               util::ErrorKind::unsupported, "AugmentedManifestFile");
  job::Channel channel;
  channel.uri = "s3://bucket/x";
  expect_error(stage_channel(channel, hosts(1), nullptr), util::ErrorKind::internal, "S3");
}

// ---- manifests ----

TEST_F(RunnerStaging, ParseManifest) {
  const auto manifest =
      parse_manifest(R"([{"prefix": "s3://bucket/data/"}, "a/1.csv", "b.csv"])", "s3://bucket/manifest.json");
  ASSERT_TRUE(manifest) << manifest.error().message;
  EXPECT_EQ(manifest->prefix_uri, "s3://bucket/data/");
  EXPECT_EQ(manifest->relative_keys, (std::vector<std::string>{"a/1.csv", "b.csv"}));

  const std::map<std::string, std::string> bad = {
      {"not json", "not valid JSON"},
      {R"({"prefix": "s3://bucket/"})", "JSON array"},
      {R"([])", "first element"},
      {R"(["a.csv"])", "first element"},
      {R"([{"prefix": 3}, "a"])", "first element"},
      {R"([{"prefix": "/local/"}, "a"])", "prefix"},
      {R"([{"prefix": "s3://other-bucket/data/"}, "a"])", "other-bucket"},
      {R"([{"prefix": "s3://bucket/data/"}, "../escape"])", "'..'"},
      {R"([{"prefix": "s3://bucket/data/"}, "/abs"])", "absolute"},
      {R"([{"prefix": "s3://bucket/data/"}, 7])", "not a string"},
  };
  for (const auto& [body, part] : bad) {
    const auto parsed = parse_manifest(body, "s3://bucket/manifest.json");
    ASSERT_FALSE(parsed) << body;
    EXPECT_EQ(parsed.error().kind, util::ErrorKind::invalid_input);
    EXPECT_NE(parsed.error().message.find("s3://bucket/manifest.json"), std::string::npos);
    EXPECT_NE(parsed.error().message.find(part), std::string::npos) << body << " → " << parsed.error().message;
  }
}

// ---- S3 sources ----

TEST_F(RunnerStaging, S3PrefixAsFolderLandsRelativeToIt) {
  s3.objects = {{"bucket/ml/input/script/train.py", "print(1)"},
                {"bucket/ml/input/data.csv", "1,2"},
                {"bucket/ml/input2/other.csv", "3"},
                {"bucket/ml/elsewhere.csv", "4"}};
  const auto folders = hosts(1);
  const auto staged = stage("s3://bucket/ml/input", folders);
  ASSERT_TRUE(staged) << staged.error().message;
  EXPECT_EQ(staged->files, 3u);
  EXPECT_EQ(staged->bytes, 8u + 3u + 1u);
  // ml/input2/other.csv matches the raw prefix too, and keeps the part after the last '/'.
  EXPECT_EQ(files_under(folders[0]), (std::vector<std::string>{"data.csv", "input2/other.csv", "script/train.py"}));
  EXPECT_EQ(read(folders[0] / "script/train.py"), "print(1)");

  const auto again = hosts(1);
  fs::remove_all(again[0]);
  ASSERT_TRUE(stage("s3://bucket/ml/input/", again));
  EXPECT_EQ(files_under(again[0]), (std::vector<std::string>{"data.csv", "script/train.py"}));
}

TEST_F(RunnerStaging, S3PrefixNamingAnObjectOrPartOfANameKeepsTheName) {
  s3.objects = {{"bucket/data/train.csv", "a"}, {"bucket/data/train/x.csv", "b"}, {"bucket/data/train-2/y.csv", "c"}};
  const auto folders = hosts(1);
  ASSERT_TRUE(stage("s3://bucket/data/train", folders));
  EXPECT_EQ(files_under(folders[0]), (std::vector<std::string>{"train-2/y.csv", "train.csv", "x.csv"}));

  const auto single = std::vector<fs::path>{temp.path() / "single"};
  ASSERT_TRUE(stage("s3://bucket/data/train.csv", single));
  EXPECT_EQ(files_under(single[0]), (std::vector<std::string>{"train.csv"}));
}

TEST_F(RunnerStaging, S3FullyReplicatedDownloadsOnceAndLinks) {
  s3.objects = {{"bucket/p/a", "aa"}, {"bucket/p/b/c", "ccc"}, {"bucket/p/folder/", ""}};
  const auto folders = hosts(3);
  const auto staged = stage("s3://bucket/p", folders);
  ASSERT_TRUE(staged) << staged.error().message;
  EXPECT_EQ(s3.gets.load(), 2);
  for (const auto& folder : folders) {
    EXPECT_EQ(files_under(folder), (std::vector<std::string>{"a", "b/c"}));
    EXPECT_EQ(stat_of(folder / "b/c").st_ino, stat_of(folders[0] / "b/c").st_ino);
  }
}

TEST_F(RunnerStaging, S3ShardedSplitsSortedKeys) {
  for (int i = 0; i < 5; ++i)
    s3.objects["bucket/shards/part-" + std::to_string(i)] = std::to_string(i);
  const auto folders = hosts(2);
  ASSERT_TRUE(stage("s3://bucket/shards/", folders, "ShardedByS3Key"));
  EXPECT_EQ(files_under(folders[0]), (std::vector<std::string>{"part-0", "part-2", "part-4"}));
  EXPECT_EQ(files_under(folders[1]), (std::vector<std::string>{"part-1", "part-3"}));
  EXPECT_EQ(s3.gets.load(), 5);
}

TEST_F(RunnerStaging, S3EmptyPrefixFailsAsSageMakerDoes) {
  s3.objects = {{"bucket/other/x", "x"}};
  expect_error(stage("s3://bucket/missing/prefix", hosts(1)), util::ErrorKind::not_found,
               "No S3 objects found under S3 URL \"s3://bucket/missing/prefix\"");
}

TEST_F(RunnerStaging, S3KeysThatWouldEscapeAreRefused) {
  s3.objects = {{"bucket/in/ok", "1"}, {"bucket/in/../../etc/passwd", "x"}};
  expect_error(stage("s3://bucket/in", hosts(1)), util::ErrorKind::invalid_input, "etc/passwd");
  s3.objects = {{"bucket/in/a", "1"}, {"bucket/in/a/b", "2"}};
  expect_error(stage("s3://bucket/in", hosts(1)), util::ErrorKind::invalid_input, "both a file and a folder");
}

TEST_F(RunnerStaging, S3ManifestFile) {
  s3.objects = {{"bucket/manifests/m.json", R"([{"prefix": "s3://bucket/data/"}, "x/1.csv", "2.csv", "2.csv"])"},
                {"bucket/data/x/1.csv", "one"},
                {"bucket/data/2.csv", "two"},
                {"bucket/data/unlisted.csv", "no"}};
  const auto folders = hosts(2);
  const auto staged = stage("s3://bucket/manifests/m.json", folders, "ShardedByS3Key", "ManifestFile");
  ASSERT_TRUE(staged) << staged.error().message;
  EXPECT_EQ(staged->files, 2u);
  EXPECT_EQ(staged->bytes, 6u);
  // Sorted by key: data/2.csv, data/x/1.csv.
  EXPECT_EQ(files_under(folders[0]), (std::vector<std::string>{"2.csv"}));
  EXPECT_EQ(files_under(folders[1]), (std::vector<std::string>{"x/1.csv"}));

  s3.objects["bucket/manifests/bad.json"] = R"([{"prefix": "s3://bucket/data/"}, "missing.csv"])";
  expect_error(stage("s3://bucket/manifests/bad.json", hosts(1), "FullyReplicated", "ManifestFile"),
               util::ErrorKind::not_found, "missing.csv");
}

} // namespace
} // namespace sagerun::runner
