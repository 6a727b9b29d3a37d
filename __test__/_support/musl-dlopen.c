/* musl-dlopen <addon.node>: loads the addon with musl's dynamic linker, which
 * binds every symbol at load time, and finds the napi module entry point.
 * The test links this with stubs named after the napi_* functions the addon
 * imports (Node provides them for real), exported with -rdynamic, so a
 * failure here means a library or libc symbol that musl does not have. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) return 64;
    void *addon = dlopen(argv[1], RTLD_NOW);
    if (!addon) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    if (!dlsym(addon, "napi_register_module_v1")) {
        printf("no napi_register_module_v1\n");
        return 2;
    }
    printf("loaded\n");
    return 0;
}
