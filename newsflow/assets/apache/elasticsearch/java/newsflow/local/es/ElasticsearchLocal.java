package newsflow.local.es;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one Elasticsearch node, Elasticsearch's own {@link Node}, for the local `apache` stack.
 *
 * <p>Maven Central publishes the server and its modules as jars, not the distribution with its launcher, so
 * this does what the distribution's bootstrap does for a node: logging, the environment read from
 * {@code elasticsearch.yml}, the modules found in {@code <home>/modules}, then {@code new Node(...).start()}.
 * It leaves out what only a production host needs: the security manager and entitlements, the native
 * system-call filter, memory locking and the bootstrap checks (the node binds to loopback, which makes them
 * warnings in the distribution too).
 *
 * <p>Arguments: the home holding {@code modules/}, then the directory holding {@code elasticsearch.yml}
 * and {@code log4j2.properties}.
 */
public final class ElasticsearchLocal {
    private ElasticsearchLocal() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: ElasticsearchLocal <home with modules/> <config directory>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path config = Path.of(args[1]).toAbsolutePath();
        // Elasticsearch's logging facade has no provider until this is called; everything below logs.
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureESLogging();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            Settings.builder().put("path.home", home.toString()).build(), Map.of(), config, () -> "newsflow-local");
        LogConfigurator.setClusterName(environment.settings().get("cluster.name", "newsflow-local"));
        LogConfigurator.setNodeName(environment.settings().get("node.name", "newsflow-local"));
        LogConfigurator.configure(environment, true);

        PluginsLoader plugins = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(environment.modulesDir()), Set.of(), Map.of());
        Node node = new Node(environment, plugins);
        CountDownLatch closed = new CountDownLatch(1);
        // SIGTERM (`newsflow down`) closes the node as the distribution does: shards flushed, the lock released.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.prepareForClose();
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "newsflow-elasticsearch-shutdown"));
        node.start();
        closed.await();
    }
}
