package rlhf4j.examples.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's Java API snippet is {@code src/test/java/ReadmeApiExample.java} verbatim, which the
 * build compiles: the snippet keeps compiling as the API changes.
 */
class ReadmeSnippetTest {
  @Test
  void theReadmeJavaSnippetIsTheCompiledExample() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    int section = readme.indexOf("## The Java API");
    assertTrue(section >= 0, "README has a Java API section");
    int start = readme.indexOf("```java\n", section);
    int end = readme.indexOf("```", start + 8);
    String snippet = readme.substring(start + 8, end);
    String source = Files.readString(Path.of("src/test/java/ReadmeApiExample.java"));
    assertEquals(source, snippet, "copy src/test/java/ReadmeApiExample.java into the README");
  }
}
