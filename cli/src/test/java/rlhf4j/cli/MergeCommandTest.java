package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code merge} never writes over its own inputs. */
class MergeCommandTest {
  @TempDir Path tmp;

  private Path copyOf(String fixture) throws Exception {
    Path from = CliTest.fixture(fixture);
    Path to = tmp.resolve(fixture);
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  @Test
  void outEqualToTheModelIsRefusedAndTheBaseStaysIntact() throws Exception {
    Path model = copyOf("gpt2-tiny");
    Path adapter = copyOf("gpt2-tiny-lora");
    byte[] before = Files.readAllBytes(model.resolve("model.safetensors"));
    String sameFolder = model.resolve("..").resolve("gpt2-tiny").toString(); // another spelling
    CliRun.Result r =
        CliRun.run(
            "merge",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--out",
            sameFolder);
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("is the --model folder"), r.err());
    assertTrue(r.err().contains("choose another --out"), r.err());
    assertArrayEquals(before, Files.readAllBytes(model.resolve("model.safetensors")));
  }

  @Test
  void outHoldingTheAdapterOrAFileIsRefused() throws Exception {
    Path model = copyOf("gpt2-tiny");
    Path adapter = copyOf("gpt2-tiny-lora");
    CliRun.Result r =
        CliRun.run(
            "merge",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--out",
            tmp.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("contains the --model folder"), r.err());
    Path file = tmp.resolve("merged.bin");
    Files.writeString(file, "x");
    r =
        CliRun.run(
            "merge",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--out",
            file.toString());
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("is a file"), r.err());
  }

  @Test
  void aFreshOutFolderIsWritten() throws IOException, Exception {
    Path model = copyOf("gpt2-tiny");
    Path adapter = copyOf("gpt2-tiny-lora");
    Path out = tmp.resolve("merged");
    CliRun.Result r =
        CliRun.run(
            "merge",
            "--model",
            model.toString(),
            "--adapter",
            adapter.toString(),
            "--out",
            out.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
  }
}
