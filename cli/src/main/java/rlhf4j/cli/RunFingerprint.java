package rlhf4j.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import rlhf4j.policy.io.AtomicFiles;

/**
 * What a PPO run was started with: a fingerprint of the base model and of the reward, and how its
 * rollouts are seeded, written as {@value #FILE} in the run folder (beside the checkpoints) so
 * {@code --resume} over a different base model or reward, or across {@code --spark-master}, is
 * refused with a message saying what differs.
 *
 * <p>The base fingerprint hashes {@code config.json} and each {@code *.safetensors} file: whole
 * files up to {@value #FULL_HASH_LIMIT} bytes, larger ones by their size, header and 16 evenly
 * spaced 64 KiB samples (cheap on multi-GB models, and any retrained or different model of the same
 * shapes still differs in the samples). A preset is fingerprinted by its name and seed.
 *
 * @param base where the base model came from ({@code preset nano seed 0} or the folder)
 * @param baseSha256 the base model's hash
 * @param reward the reward's name and options
 * @param rewardSha256 hash of a reward model folder named by a {@code path} option, or empty
 * @param rolloutSeeds the rollouts' seeding scheme ({@link RolloutSeeds#id()}: local or Spark), or
 *     empty when the run predates the field
 */
record RunFingerprint(
    String base, String baseSha256, String reward, String rewardSha256, String rolloutSeeds) {
  static final String FILE = "run_fingerprint.json";
  static final long FULL_HASH_LIMIT = 64L << 20;
  private static final int SAMPLES = 16;
  private static final int SAMPLE_BYTES = 64 << 10;

  /**
   * The fingerprint of a run on {@code modelDir} (or the preset) with {@code reward}, its rollouts
   * on Spark when {@code sparkMaster} is set.
   */
  static RunFingerprint of(
      Path modelDir,
      String preset,
      long presetSeed,
      String rewardName,
      Map<String, String> rewardOptions,
      String sparkMaster)
      throws IOException {
    String base;
    String baseHash;
    if (modelDir != null) {
      base = modelDir.toAbsolutePath().normalize().toString();
      baseHash = folderHash(modelDir);
    } else {
      base = "preset " + preset + " seed " + presetSeed;
      baseHash = sha256(base.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    Map<String, String> options = new TreeMap<>(rewardOptions == null ? Map.of() : rewardOptions);
    String reward = rewardName + " " + options;
    String rewardHash = "";
    String path = options.get("path");
    if (path != null && Files.isDirectory(Path.of(path))) {
      rewardHash = folderHash(Path.of(path));
    }
    return new RunFingerprint(
        base, baseHash, reward, rewardHash, RolloutSeeds.of(sparkMaster).id());
  }

  /** Writes it into {@code runDir}. */
  void write(Path runDir) throws IOException {
    JsonObject o = new JsonObject();
    o.addProperty("base_model", base);
    o.addProperty("base_model_sha256", baseSha256);
    o.addProperty("reward", reward);
    o.addProperty("reward_sha256", rewardSha256);
    o.addProperty("rollout_seeds", rolloutSeeds);
    AtomicFiles.writeString(
        runDir.resolve(FILE), new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n");
  }

  /** The fingerprint recorded in {@code runDir}, or null when the run predates the file. */
  static RunFingerprint read(Path runDir) throws IOException {
    Path f = runDir.resolve(FILE);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    try {
      JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
      return new RunFingerprint(
          o.get("base_model").getAsString(),
          o.get("base_model_sha256").getAsString(),
          o.get("reward").getAsString(),
          o.get("reward_sha256").getAsString(),
          o.has("rollout_seeds") ? o.get("rollout_seeds").getAsString() : "");
    } catch (JsonParseException | IllegalStateException | NullPointerException e) {
      throw new IllegalArgumentException(
          f + " is damaged (" + e.getMessage() + "); delete it to resume without the check");
    }
  }

  /**
   * Refuses to resume when {@code now} differs from this recorded fingerprint.
   *
   * @throws IllegalArgumentException saying what differs
   */
  void checkResume(RunFingerprint now, Path runDir) {
    List<String> diffs = new ArrayList<>();
    if (!baseSha256.equals(now.baseSha256)) {
      diffs.add(
          "the base model differs (the run started on "
              + base
              + ", sha256 "
              + shortHash(baseSha256)
              + "; now "
              + now.base
              + ", sha256 "
              + shortHash(now.baseSha256)
              + ")");
    }
    if (!reward.equals(now.reward) || !rewardSha256.equals(now.rewardSha256)) {
      diffs.add(
          "the reward differs (the run started with "
              + reward
              + (rewardSha256.isEmpty() ? "" : ", model sha256 " + shortHash(rewardSha256))
              + "; now "
              + now.reward
              + (now.rewardSha256.isEmpty() ? "" : ", model sha256 " + shortHash(now.rewardSha256))
              + ")");
    }
    if (!diffs.isEmpty()) {
      throw new IllegalArgumentException(
          "--resume: "
              + String.join(" and ", diffs)
              + "; resume with the original model and reward, or start a new run in another"
              + " output folder (recorded in "
              + runDir.resolve(FILE)
              + ")");
    }
    if (!rolloutSeeds.isEmpty() && !now.rolloutSeeds.isEmpty()) {
      Path file = runDir.resolve(FILE);
      RolloutSeeds.check(
          RolloutSeeds.parse(rolloutSeeds, file), RolloutSeeds.parse(now.rolloutSeeds, file), file);
    }
  }

  private static String shortHash(String h) {
    return h.length() > 12 ? h.substring(0, 12) : h;
  }

  /** Hash of config.json and the safetensors files of an HF folder. */
  static String folderHash(Path dir) throws IOException {
    MessageDigest all = digest();
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(
              p -> {
                String n = p.getFileName().toString();
                return n.equals("config.json") || n.endsWith(".safetensors");
              })
          .filter(Files::isRegularFile)
          .sorted()
          .forEach(files::add);
    }
    for (Path f : files) {
      all.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      all.update(fileHash(f));
    }
    return HexFormat.of().formatHex(all.digest());
  }

  private static byte[] fileHash(Path f) throws IOException {
    MessageDigest d = digest();
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      long size = ch.size();
      d.update(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, size).array());
      if (size <= FULL_HASH_LIMIT) {
        update(d, ch, 0, size);
      } else {
        update(d, ch, 0, SAMPLE_BYTES); // the header and the first tensors
        for (int i = 1; i <= SAMPLES; i++) {
          long at = (size - SAMPLE_BYTES) * i / SAMPLES;
          update(d, ch, at, SAMPLE_BYTES);
        }
      }
    }
    return d.digest();
  }

  private static void update(MessageDigest d, FileChannel ch, long from, long length)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(length, 1 << 20));
    long at = from;
    long end = from + length;
    while (at < end) {
      buf.clear();
      buf.limit((int) Math.min(buf.capacity(), end - at));
      int n = ch.read(buf, at);
      if (n < 0) {
        break;
      }
      buf.flip();
      d.update(buf);
      at += n;
    }
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  private static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }
}
