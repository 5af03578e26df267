export {
  loadTemplates,
  SHIPPED_TEMPLATES,
  TEMPLATE_COMPLEXITIES,
  type Template,
} from './templates.ts';
