export {
  loadTemplates,
  SHIPPED_TEMPLATES,
  TEMPLATE_COMPLEXITIES,
  type Template,
  templateOf,
} from './templates.ts';
