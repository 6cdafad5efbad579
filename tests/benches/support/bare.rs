//! The same component on bare wasmtime, configured as wasmtime's guide "Tuning Wasmtime
//! for Fast Instantiation" recommends (pooling allocator, copy-on-write heap images,
//! `InstancePre`) with the same keep-resident settings as the host: the floor the host's
//! per-call cost is compared against. No WASI, no limits, no capabilities: every import
//! traps (`describe` makes none).

use ehr_host::runtime::bindings::latest::AdapterInfo;
use ehr_host::runtime::pool;
use wasmtime::component::{Component, ComponentExportIndex, InstancePre, Linker, TypedFunc};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

/// A pre-instantiated component and its `describe` export.
pub struct Bare {
    engine: Engine,
    pre: InstancePre<()>,
    describe: ComponentExportIndex,
}

impl Bare {
    /// Compiles `wasm` for bare wasmtime; `epoch` turns epoch interruption on, to
    /// measure what it costs alone.
    pub fn new(wasm: &[u8], epoch: bool) -> Bare {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_memories(100)
            .max_memory_size(1 << 31)
            .total_tables(100)
            .table_elements(5000)
            .total_core_instances(100)
            .linear_memory_keep_resident(pool::MEMORY_KEEP_RESIDENT)
            .table_keep_resident(pool::TABLE_KEEP_RESIDENT)
            .pagemap_scan(wasmtime::Enabled::Auto);
        let mut config = Config::new();
        config
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .memory_init_cow(true)
            .epoch_interruption(epoch);
        let engine = Engine::new(&config).expect("bare engine");
        let component = Component::new(&engine, wasm).expect("compiling for bare wasmtime");
        let mut linker = Linker::<()>::new(&engine);
        linker
            .define_unknown_imports_as_traps(&component)
            .expect("trapping imports");
        let pre = linker.instantiate_pre(&component).expect("pre-instantiate");
        let iface = component
            .get_export_index(None, "ehr:adapter/adapter@0.2.0")
            .expect("the adapter interface export");
        let describe = component
            .get_export_index(Some(&iface), "describe")
            .expect("describe");
        Bare {
            engine,
            pre,
            describe,
        }
    }

    fn store(&self) -> Store<()> {
        let mut store = Store::new(&self.engine, ());
        // Far away: never reached in a bench call (only set when epochs are on).
        store.set_epoch_deadline(u64::MAX / 2);
        store
    }

    /// A fresh store and instance, dropped.
    pub fn instantiate(&self) {
        let mut store = self.store();
        self.pre.instantiate(&mut store).expect("instantiate");
    }

    /// A fresh store and instance, and `describe`.
    pub fn describe(&self) -> AdapterInfo {
        let mut store = self.store();
        let instance = self.pre.instantiate(&mut store).expect("instantiate");
        let f: TypedFunc<(), (AdapterInfo,)> = instance
            .get_typed_func(&mut store, self.describe)
            .expect("describe's type");
        f.call(&mut store, ()).expect("describe").0
    }
}
