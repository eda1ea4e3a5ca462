// Test-only launcher for an embedded Neo4j 5.26 Community database with Bolt on loopback.
//
// Single-source program: no compile step. Run with the jars collected from infra/neo4j/pom.xml:
//
//   java -Xms512m -Xmx768m \
//     --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
//     --add-opens=java.base/sun.nio.ch=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
//     -cp 'lib/*' infra/neo4j/Launcher.java --home DIR --port 7687 [--auth none|neo4j/PASSWORD]
//
// Options (each may also be given as a system property, -Dneo4j.launcher.<name>=VALUE):
//   --home DIR          Neo4j home (data/, logs/ are created under it)            [required]
//   --port N            Bolt port                                                  [7687]
//   --host ADDR         Bolt listen address                                        [127.0.0.1]
//   --auth SPEC         "none" (auth off) or "neo4j/PASSWORD" (auth on; the password of
//                       user neo4j, 8+ characters, is set with ALTER USER when it differs
//                       from the one set last time, noted in HOME/launcher-auth.sha256) [none]
//   --pagecache SIZE    page cache, bytes or with k/m/g suffix                     [128m]
//
// Prints one line "NEO4J READY bolt://HOST:PORT" on stdout once Bolt accepts connections.
// SIGTERM/SIGINT run a shutdown hook that shuts the database down cleanly.
// Exit code 1 when start-up fails (the cause goes to stderr).

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;

public class Launcher {

    public static void main(String[] argv) throws Exception {
        Map<String, String> opts = parseArgs(argv);
        String homeArg = opt(opts, "home", null);
        if (homeArg == null) {
            System.err.println("Launcher: --home DIR is required");
            System.exit(2);
        }
        Path home = Path.of(homeArg).toAbsolutePath().normalize();
        String host = opt(opts, "host", "127.0.0.1");
        int port = Integer.parseInt(opt(opts, "port", "7687"));
        String auth = opt(opts, "auth", "none");
        long pageCache = parseSize(opt(opts, "pagecache", "128m"));

        boolean authEnabled = !auth.equalsIgnoreCase("none");
        String user = null;
        String password = null;
        if (authEnabled) {
            int slash = auth.indexOf('/');
            if (slash <= 0 || slash == auth.length() - 1) {
                System.err.println("Launcher: --auth must be 'none' or 'USER/PASSWORD'");
                System.exit(2);
            }
            user = auth.substring(0, slash);
            password = auth.substring(slash + 1);
            if (!user.equals("neo4j")) {
                // Community has a single built-in admin user; keep it simple.
                System.err.println("Launcher: only user 'neo4j' is supported (Community)");
                System.exit(2);
            }
            if (password.length() < 8) {
                System.err.println("Launcher: password must have at least 8 characters");
                System.exit(2);
            }
        }

        Files.createDirectories(home);

        long t0 = System.nanoTime();
        DatabaseManagementService dbms;
        try {
            dbms = new DatabaseManagementServiceBuilder(home)
                    // dbms.usage_report.enabled=false: no usage reporting.
                    .setConfig(GraphDatabaseSettings.udc_enabled, false)
                    // Throwaway test data: small, non-preallocated transaction logs.
                    .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, "1 files")
                    // Bolt's netty shutdown waits a 5 s quiet period twice by default: a stop
                    // took ~10 s. Internal setting (internal.dbms.bolt.*), checked on 5.26.31.
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                    .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                    .setConfig(GraphDatabaseSettings.auth_enabled, authEnabled)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                    .build();
        } catch (Throwable e) {
            System.err.println("Launcher: Neo4j failed to start: " + e);
            e.printStackTrace();
            System.exit(1);
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("NEO4J STOPPING");
            System.out.flush();
            try {
                dbms.shutdown();
            } catch (Throwable e) {
                System.err.println("Launcher: error during shutdown: " + e);
            }
            System.out.println("NEO4J STOPPED");
            System.out.flush();
            stopped.countDown();
        }, "neo4j-launcher-shutdown"));

        try {
            if (authEnabled) {
                setPassword(dbms, home, user, password);
            }
            waitForPort(host, port, Duration.ofSeconds(60));
        } catch (Throwable e) {
            System.err.println("Launcher: Neo4j start-up check failed: " + e);
            e.printStackTrace();
            System.exit(1); // runs the shutdown hook
            return;
        }

        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("NEO4J READY bolt://" + host + ":" + port
                + " auth=" + (authEnabled ? "on" : "off") + " home=" + home
                + " started_in_ms=" + ms + " pid=" + ProcessHandle.current().pid());
        System.out.flush();

        stopped.await();
    }

    /**
     * Sets the password of the built-in user, so clients need no "change password" step.
     * The first Cypher statement costs seconds, so a marker file (hash of user and password)
     * skips it when the same credentials were already set on an earlier start.
     */
    private static void setPassword(DatabaseManagementService dbms, Path home, String user,
            String password) throws Exception {
        Path marker = home.resolve("launcher-auth.sha256");
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest((user + "\0" + password).getBytes(StandardCharsets.UTF_8)));
        if (Files.exists(marker) && Files.readString(marker).trim().equals(digest)) {
            return;
        }
        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER " + user + " SET PASSWORD $pw CHANGE NOT REQUIRED",
                    Map.of("pw", password));
        } catch (QueryExecutionException e) {
            // Already this password (marker lost): Neo4j refuses to "change" it to itself.
            if (e.getMessage() == null || !e.getMessage().contains("cannot be the same")) {
                throw e;
            }
        }
        Files.writeString(marker, digest + "\n");
    }

    private static void waitForPort(String host, int port, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 500);
                return;
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Bolt is not listening on " + host + ":" + port, e);
                }
                Thread.sleep(100);
            }
        }
    }

    private static Map<String, String> parseArgs(String[] argv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (!a.startsWith("--")) {
                System.err.println("Launcher: unexpected argument " + a);
                System.exit(2);
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < argv.length) {
                value = argv[++i];
            } else {
                System.err.println("Launcher: missing value for " + a);
                System.exit(2);
                return m;
            }
            m.put(key, value);
        }
        return m;
    }

    private static String opt(Map<String, String> opts, String name, String dflt) {
        String v = opts.get(name);
        if (v == null) {
            v = System.getProperty("neo4j.launcher." + name);
        }
        return v == null ? dflt : v;
    }

    private static long parseSize(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        if (t.endsWith("k")) {
            mult = 1L << 10;
        } else if (t.endsWith("m")) {
            mult = 1L << 20;
        } else if (t.endsWith("g")) {
            mult = 1L << 30;
        }
        if (mult != 1) {
            t = t.substring(0, t.length() - 1);
        }
        return Long.parseLong(t) * mult;
    }
}
