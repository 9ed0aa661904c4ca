#include "aws/crypto.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sagerun::aws {
namespace {

TEST(AwsCrypto, Sha256KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(sha256_raw("abc").size(), 32u);
  EXPECT_EQ(hex(sha256_raw("abc")), sha256_hex("abc"));
}

TEST(AwsCrypto, Md5KnownVectors) {
  EXPECT_EQ(hex(md5_raw("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(hex(md5_raw("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(hex(md5_raw("The quick brown fox jumps over the lazy dog")), "9e107d9d372bb6826bd81d3542a419d6");
  // Content-MD5 as S3 documents it for an empty body.
  EXPECT_EQ(md5_base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
}

// RFC 4231 test cases 1, 2, 6 and 7 (keys shorter and longer than the block size).
TEST(AwsCrypto, HmacSha256Rfc4231) {
  EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                            "This is a test using a larger than block-size key and a larger than block-size data. "
                            "The key needs to be hashed before being used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  EXPECT_EQ(hmac_sha256("", "").size(), 32u);
}

TEST(AwsCrypto, HexIsLowercaseAndCoversEveryByte) {
  EXPECT_EQ(hex(""), "");
  EXPECT_EQ(hex(std::string("\x00\x01\x7f\x80\xfe\xff", 6)), "00017f80feff");
}

// RFC 4648 §10.
TEST(AwsCrypto, Base64Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), std::optional<std::string>(plain)) << encoded;
  }
}

TEST(AwsCrypto, Base64RoundTripsEveryByteValue) {
  std::string all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= all.size(); length += 37) {
    const std::string piece = all.substr(0, length);
    EXPECT_EQ(base64_decode(base64_encode(piece)), std::optional<std::string>(piece));
  }
  EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
}

TEST(AwsCrypto, Base64DecodeRejectsMalformedInput) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v!A==", "Zg==Zg==", "=Zg=", "Zm=v", "Zm9v\n", " Zm9v", "Zm9-"}) {
    EXPECT_EQ(base64_decode(bad), std::nullopt) << bad;
  }
}

TEST(AwsCrypto, IncrementalDigestsMatchOneShot) {
  const std::string data = "The quick brown fox jumps over the lazy dog, again and again and again.";
  Sha256 sha;
  Md5 md5;
  for (size_t i = 0; i < data.size(); i += 7) {
    sha.update(std::string_view(data).substr(i, 7));
    md5.update(std::string_view(data).substr(i, 7));
  }
  EXPECT_EQ(sha.hex_digest(), sha256_hex(data));
  EXPECT_EQ(md5.base64_digest(), md5_base64(data));
  // A digest starts the next hash afresh.
  EXPECT_EQ(sha.hex_digest(), sha256_hex(""));
  md5.update("abc");
  EXPECT_EQ(md5.hex_digest(), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(AwsCrypto, DigestsMove) {
  Sha256 first;
  first.update("ab");
  Sha256 second = std::move(first);
  second.update("c");
  EXPECT_EQ(second.hex_digest(), sha256_hex("abc"));
}

} // namespace
} // namespace sagerun::aws
