package rlhf4j.cli.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the artifact version Maven wrote into {@code rlhf4j-version.properties}. */
public final class VersionProvider implements IVersionProvider {
  public static final String RESOURCE = "/rlhf4j/cli/rlhf4j-version.properties";

  /** The artifact version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {"rlhf4j " + version()};
  }
}
